// Test fixture shared by the SqliteMailStore tests (tests only): a store in a temp data dir
// over a FaultyFsEnv, with mailboxes 1 and 2 provisioned with the default folders.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "store/fs_env.h"
#include "store/sqlite/mail_store.h"

namespace posthouse::store::sqlite::testing {

// A small RFC 5322 message numbered n, with a body of about body_size octets.
inline std::string message(int n, size_t body_size = 40) {
  std::string body;
  while (body.size() < body_size) body += fmt::format("line {} of message {}\r\n", body.size(), n);
  return fmt::format(
      "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: test {}\r\n"
      "Message-ID: <m{}@example.com>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n{}",
      n, n, body);
}

// A before_commit hook that holds the writer's first batch until release(), so that what is
// submitted meanwhile queues and runs as the next batch; later commits return `next(call)`
// (call counts from 2), or succeed.
class BatchGate {
 public:
  std::function<base::Status(int call)> next;

  std::function<base::Status()> hook() {
    return [this]() -> base::Status {
      std::unique_lock lk(mu_);
      int call = ++calls_;
      if (call == 1) {
        cv_.notify_all();
        cv_.wait(lk, [&] { return released_; });
        return {};
      }
      return next ? next(call) : base::Status{};
    };
  }
  void wait_held() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return calls_ >= 1; });
  }
  void release() {
    {
      std::lock_guard lk(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  int calls_ = 0;
};

class MailStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ph_mail_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    open_store();
    ASSERT_TRUE(store_->ensure_mailbox(1, default_folders()).ok());
    ASSERT_TRUE(store_->ensure_mailbox(2, default_folders()).ok());
    inbox1_ = store_->folder(1, "INBOX")->id;
    inbox2_ = store_->folder(2, "inbox")->id;
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void open_store(std::function<base::Status()> before_commit = {}) {
    store_.reset();
    MailStoreOptions o;
    o.data_dir = dir_;
    o.inline_max = inline_max_;
    o.env = &env_;
    o.before_commit = std::move(before_commit);
    auto s = SqliteMailStore::open(o);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }
  Appended deliver_one(MailboxId mb, const std::string& raw) {
    Delivery d;
    d.recipients = {mb};
    d.raw = raw;
    auto r = store_->deliver(std::move(d));
    EXPECT_EQ(r.size(), 1u);
    EXPECT_TRUE(r[0].ok()) << r[0].error().message;
    return r[0].ok() ? *r[0] : Appended{};
  }
  size_t blob_files() {
    size_t n = 0;
    for (auto& e : std::filesystem::recursive_directory_iterator(dir_ + "/blobs")) {
      if (e.is_regular_file()) ++n;
    }
    return n;
  }

  std::string dir_;
  uint64_t inline_max_ = 1024;
  FaultyFsEnv env_{FsEnv::posix()};
  std::unique_ptr<SqliteMailStore> store_;
  FolderId inbox1_ = 0, inbox2_ = 0;
};

}  // namespace posthouse::store::sqlite::testing
