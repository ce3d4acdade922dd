#include "base/clock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace posthouse::base {
namespace {

// One test touches the process-wide offset: it only moves forward, so it runs last in its
// process order-independently (other tests never compare against the real clock).
TEST(Clock, OffsetFromAFileMovesBothClocksForwardOnly) {
  auto path = std::filesystem::temp_directory_path() / ("ph-clock-" + std::to_string(getpid()));
  int64_t before = unix_now();
  auto steady_before = steady_now();
  {
    std::ofstream(path) << (clock_offset() + 3600) << "\n";
  }
  use_clock_file(path.string());
  EXPECT_GE(unix_now(), before + 3600);
  EXPECT_GE(steady_now(), steady_before + std::chrono::seconds(3600));
  int64_t moved = clock_offset();
  {
    std::ofstream(path) << 0 << "   \n";  // backwards: ignored (size differs, so it is read)
  }
  EXPECT_EQ(clock_offset(), moved);
  {
    std::ofstream(path) << "garbage\n";  // unreadable: ignored
  }
  EXPECT_EQ(clock_offset(), moved);
  use_clock_file("");
  std::filesystem::remove(path);
  EXPECT_EQ(clock_offset(), moved);
}

}  // namespace
}  // namespace posthouse::base
