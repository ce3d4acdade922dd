#include "store/spool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace posthouse::store {
namespace {

namespace fs = std::filesystem;

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            ("spool_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::size_t entries() const {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
  }
  std::string dir_;
};

TEST_F(SpoolTest, AppendsAndReadsBackWithoutANameInTheDirectory) {
  auto f = SpoolFile::create(dir_);
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_TRUE((*f)->append("hello "));
  ASSERT_TRUE((*f)->append(std::string(100000, 'x')));
  ASSERT_TRUE((*f)->append("end"));
  EXPECT_EQ((*f)->size(), 100009u);
  EXPECT_EQ(entries(), 0u);  // nameless: nothing to clean up, whatever happens
  std::string out(5, '\0');
  ASSERT_TRUE((*f)->read_at(0, out.data(), 5));
  EXPECT_EQ(out, "hello");
  std::string tail(4, '\0');
  ASSERT_TRUE((*f)->read_at(100005, tail.data(), 4));
  EXPECT_EQ(tail, "xend");
}

TEST_F(SpoolTest, ReadPastTheEndIsAnError) {
  auto f = SpoolFile::create(dir_);
  ASSERT_TRUE(f);
  ASSERT_TRUE((*f)->append("abc"));
  char buf[4];
  auto st = (*f)->read_at(1, buf, 3);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, base::Errc::kInternal);
}

TEST_F(SpoolTest, SweepRemovesLeftoversAndToleratesAMissingDir) {
  auto none = sweep_spool(dir_);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0);
  fs::create_directories(dir_);
  std::ofstream(dir_ + "/0123.tmp") << "half a message";
  std::ofstream(dir_ + "/4567.tmp") << "another";
  auto n = sweep_spool(dir_);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(entries(), 0u);
}

}  // namespace
}  // namespace posthouse::store
