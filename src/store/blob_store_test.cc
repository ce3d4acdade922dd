#include "store/blob_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

namespace posthouse::store {
namespace {

class BlobFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ph_blob_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(is_sha256_hex(sha256_hex("x")));
  EXPECT_FALSE(is_sha256_hex("../../etc/passwd"));
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'G')));
}

TEST_F(BlobFilesTest, PutReadListRemove) {
  FaultyFsEnv env(FsEnv::posix());
  BlobFiles files(env, dir_ + "/blobs");
  std::string data = "hello blob";
  std::string sha = sha256_hex(data);
  ASSERT_TRUE(files.put(sha, data).ok());
  EXPECT_EQ(env.syncs.load(), 1);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/blobs/" + sha.substr(0, 2) + "/" + sha.substr(2, 2) +
                                      "/" + sha));
  EXPECT_EQ(*files.read(sha, 6, 100), "blob");
  EXPECT_EQ(*files.read(sha, 100, 5), "");
  EXPECT_EQ(*files.size(sha), data.size());
  auto l = files.list();
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->blobs.size(), 1u);
  EXPECT_EQ(l->blobs[0], sha);
  EXPECT_TRUE(l->other.empty());
  ASSERT_TRUE(files.remove(sha).ok());
  EXPECT_TRUE(files.remove(sha).ok());  // idempotent
  EXPECT_EQ(files.read(sha, 0, 1).error().code, base::Errc::kNotFound);
  EXPECT_EQ(files.read("../x", 0, 1).error().code, base::Errc::kInternal);
}

TEST_F(BlobFilesTest, FaultsLeaveNoFileBehind) {
  FaultyFsEnv env(FsEnv::posix());
  BlobFiles files(env, dir_ + "/blobs");
  std::string data(5000, 'x');
  std::string sha = sha256_hex(data);
  env.fail_write = true;
  auto st = files.put(sha, data);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, base::Errc::kTemporary);  // ENOSPC
  env.fail_write = false;
  env.fail_sync = true;
  st = files.put(sha, data);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, base::Errc::kIo);
  env.fail_sync = false;
  auto l = files.list();
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(l->blobs.empty());
  EXPECT_TRUE(l->other.empty());  // the temporary was removed
  env.fail_sync_dir = true;
  EXPECT_EQ(files.put(sha, data).error().code, base::Errc::kIo);
  env.fail_sync_dir = false;
  ASSERT_TRUE(files.put(sha, data).ok());
  EXPECT_EQ(files.read(sha, 0, 10)->size(), 10u);
}

}  // namespace
}  // namespace posthouse::store
