#include "store/fault_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace posthouse::store {
namespace {

namespace fs = std::filesystem;

class FaultFileEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("fault-file-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void control(const std::string& words) {
    // A new file (new inode) each time, so a change within one mtime tick is still seen.
    fs::remove(dir_ / "faults");
    std::ofstream(dir_ / "faults") << words;
  }
  fs::path dir_;
};

TEST_F(FaultFileEnvTest, ControlFileSwitchesFaultsOnAndOff) {
  FaultFileEnv env(FsEnv::posix(), (dir_ / "faults").string());
  std::string path = (dir_ / "blob").string();
  {
    auto f = env.open_writable(path);
    ASSERT_TRUE(f.ok());
    EXPECT_TRUE((*f)->append("abc").ok());
    EXPECT_TRUE((*f)->sync().ok());
  }
  EXPECT_TRUE(env.before_commit().ok());

  control("write commit\n");
  {
    auto f = env.open_writable(path);
    ASSERT_TRUE(f.ok());
    auto st = (*f)->append("abc");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, base::Errc::kTemporary);  // ENOSPC: disk full
  }
  auto commit = env.before_commit();
  ASSERT_FALSE(commit.ok());
  EXPECT_EQ(commit.error().code, base::Errc::kIo);

  control("sync rename");
  {
    auto f = env.open_writable(path);
    ASSERT_TRUE(f.ok());
    EXPECT_TRUE((*f)->append("abc").ok());
    EXPECT_FALSE((*f)->sync().ok());
  }
  EXPECT_FALSE(env.rename(path, path + "2").ok());
  EXPECT_TRUE(env.before_commit().ok());

  fs::remove(dir_ / "faults");  // cleared
  EXPECT_TRUE(env.rename(path, path + "2").ok());
  EXPECT_TRUE(env.before_commit().ok());
}

}  // namespace
}  // namespace posthouse::store
