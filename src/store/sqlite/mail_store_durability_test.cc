// SqliteMailStore durability: faults and failed commits, group commit, check/repair, the
// startup sweep and a SIGKILL mid-delivery.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "store/sqlite/db.h"
#include "store/sqlite/test_mail_store.h"

namespace posthouse::store::sqlite {
namespace {

using base::Errc;
using testing::MailStoreTest;
using testing::message;

TEST_F(MailStoreTest, BlobFaultsFailTheBatchAndLeaveNothing) {
  std::string big = message(1, 4000);
  struct Fault {
    std::atomic<bool>* flag;
    Errc code;
  };
  for (Fault f : {Fault{&env_.fail_write, Errc::kTemporary}, Fault{&env_.fail_sync, Errc::kIo},
                  Fault{&env_.fail_rename, Errc::kIo}, Fault{&env_.fail_sync_dir, Errc::kIo}}) {
    *f.flag = true;
    Delivery d;
    d.recipients = {1, 2};
    d.raw = big;
    auto r = store_->deliver(d);
    ASSERT_EQ(r.size(), 2u);
    for (const auto& x : r) {
      ASSERT_FALSE(x.ok());
      EXPECT_EQ(x.error().code, f.code) << x.error().message;
    }
    EXPECT_EQ(store_->append(1, inbox1_, big, 0, {}).error().code, f.code);
    *f.flag = false;
    EXPECT_TRUE(store_->uids(1, inbox1_)->empty());
    EXPECT_EQ(store_->quota(1)->used_bytes, 0u);
    EXPECT_EQ(store_->status(1, inbox1_)->uidnext, 1u);
    EXPECT_EQ(blob_files(), 0u);
    auto rep = store_->check(false);
    ASSERT_TRUE(rep.ok());
    EXPECT_TRUE(rep->ok()) << rep->problems[0];
  }
  // Recovery once the fault clears.
  Delivery d;
  d.recipients = {1, 2};
  d.raw = big;
  auto r = store_->deliver(d);
  ASSERT_TRUE(r[0].ok() && r[1].ok());
  EXPECT_EQ(r[0]->uid, 1u);
  EXPECT_EQ(*store_->read(2, inbox2_, 1), big);
  // A read fault surfaces as an error, not as wrong bytes.
  env_.fail_read = true;
  EXPECT_EQ(store_->read(1, inbox1_, 1).error().code, Errc::kIo);
  env_.fail_read = false;
}

// A failed commit fails every operation of its batch, and nothing of it stays: not the rows,
// not the blob files written for it.
TEST_F(MailStoreTest, FailedCommitFailsTheWholeBatch) {
  testing::BatchGate gate;
  gate.next = [](int call) -> base::Status {
    if (call == 2) return base::Error(Errc::kIo, "injected commit failure");
    return {};
  };
  open_store(gate.hook());
  std::promise<DeliveryResult> first;
  store_->deliver_async(Delivery{{1}, "INBOX", message(0), 0, {}},
                        [&](DeliveryResult r) { first.set_value(std::move(r)); });
  gate.wait_held();  // the writer holds the first batch
  const int kQueued = 5;
  std::vector<std::promise<DeliveryResult>> ps(kQueued);
  for (int i = 0; i < kQueued; ++i) {
    store_->deliver_async(Delivery{{1, 2}, "INBOX", message(i + 1, i % 2 ? 3000 : 100), 0, {}},
                          [&ps, i](DeliveryResult r) { ps[i].set_value(std::move(r)); });
  }
  gate.release();
  auto r0 = first.get_future().get();
  ASSERT_TRUE(r0[0].ok());
  for (auto& p : ps) {
    auto r = p.get_future().get();
    ASSERT_EQ(r.size(), 2u);
    for (const auto& x : r) {
      ASSERT_FALSE(x.ok());
      EXPECT_EQ(x.error().code, Errc::kIo);
    }
  }
  EXPECT_EQ(*store_->uids(1, inbox1_), (std::vector<Uid>{1}));
  EXPECT_TRUE(store_->uids(2, inbox2_)->empty());
  EXPECT_EQ(store_->quota(1)->used_bytes, message(0).size());
  EXPECT_EQ(blob_files(), 0u);
  EXPECT_TRUE(store_->check(false)->ok());
  // The next batch commits normally; UIDs continue without a gap.
  EXPECT_EQ(deliver_one(1, message(9, 3000)).uid, 2u);
  EXPECT_EQ(blob_files(), 1u);
}

TEST_F(MailStoreTest, GroupCommitManyThreads) {
  const int kThreads = 8, kPer = 40;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::map<FolderId, std::vector<Uid>> got;
  std::atomic<int> failures{0};
  std::atomic<uint64_t> bytes1{0}, bytes2{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) {
        Delivery d;
        d.recipients = (i % 2) ? std::vector<MailboxId>{1, 2} : std::vector<MailboxId>{1};
        d.raw = message(t * 1000 + i, (i % 5 == 0) ? 3000 : 200);
        size_t size = d.raw.size();
        DeliveryResult r;
        if (t % 2) {
          std::promise<DeliveryResult> p;
          store_->deliver_async(std::move(d),
                                [&p](DeliveryResult x) { p.set_value(std::move(x)); });
          r = p.get_future().get();
        } else {
          r = store_->deliver(std::move(d));
        }
        std::lock_guard lk(mu);
        for (size_t k = 0; k < r.size(); ++k) {
          if (!r[k].ok()) {
            ++failures;
            continue;
          }
          got[r[k]->folder_id].push_back(r[k]->uid);
          (k == 0 ? bytes1 : bytes2) += size;
        }
      }
    });
  }
  // A reader runs beside the writers: it must always see a consistent, growing folder.
  std::atomic<bool> done{false};
  std::atomic<int> read_errors{0};
  std::thread reader([&] {
    Uid last_next = 0;
    while (!done) {
      auto st = store_->status(1, inbox1_);
      if (!st.ok() || st->uidnext < last_next || st->messages != st->uidnext - 1) ++read_errors;
      if (st.ok()) last_next = st->uidnext;
      auto m = store_->fetch(1, inbox1_, {{1, 5}}, {});
      if (!m.ok()) ++read_errors;
    }
  });
  for (auto& th : threads) th.join();
  done = true;
  reader.join();
  EXPECT_EQ(read_errors.load(), 0);
  EXPECT_EQ(failures.load(), 0);
  for (auto& [folder, uids] : got) {
    std::sort(uids.begin(), uids.end());
    for (size_t i = 0; i < uids.size(); ++i) ASSERT_EQ(uids[i], i + 1);  // unique, no gaps
  }
  EXPECT_EQ(got[inbox1_].size(), size_t{kThreads * kPer});
  EXPECT_EQ(got[inbox2_].size(), size_t{kThreads * kPer / 2});
  EXPECT_EQ(*store_->uids(1, inbox1_), got[inbox1_]);
  EXPECT_EQ(store_->quota(1)->used_bytes, bytes1.load());
  EXPECT_EQ(store_->quota(2)->used_bytes, bytes2.load());
  auto stats = store_->stats();
  EXPECT_LT(stats.batches, uint64_t{kThreads * kPer});  // fsyncs were shared
  EXPECT_TRUE(store_->check(false)->ok());
}

TEST_F(MailStoreTest, CheckFindsAndRepairsDamage) {
  deliver_one(1, message(1));
  deliver_one(1, message(2, 3000));
  {
    auto db = std::move(*Db::open(dir_ + "/mail.db"));
    ASSERT_TRUE(db->exec("UPDATE mail_blob SET refcount = refcount + 3").ok());
    ASSERT_TRUE(db->exec("UPDATE mail_account SET used_bytes = 5 WHERE mailbox_id = 1").ok());
    ASSERT_TRUE(db->exec("UPDATE mail_folder SET uidnext = 1").ok());
    ASSERT_TRUE(db->exec("UPDATE mail_folder SET unseen = 42 WHERE name = 'INBOX'").ok());
  }
  std::string orphan = sha256_hex("orphan");
  ASSERT_TRUE(BlobFiles(FsEnv::posix(), dir_ + "/blobs").put(orphan, "orphan").ok());
  { std::ofstream(dir_ + "/blobs/leftover.tmp") << "x"; }
  auto rep = store_->check(false);
  ASSERT_TRUE(rep.ok());
  // 2 refcounts, 1 usage, 2 folders with messages (INBOX of 1)... uidnext of every folder with
  // UIDs; the orphan file and the temporary.
  std::string all;
  for (const auto& p : rep->problems) all += p + "\n";
  EXPECT_NE(all.find("refcount"), std::string::npos) << all;
  EXPECT_NE(all.find("mailbox usage (bytes/messages) 1: 5/2 but should be"), std::string::npos)
      << all;
  EXPECT_NE(all.find("folder uidnext/highestmodseq " + std::to_string(inbox1_) + ": 1/"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("blob file " + orphan + " is not referenced"), std::string::npos) << all;
  EXPECT_NE(all.find("stray file leftover.tmp"), std::string::npos) << all;
  EXPECT_NE(all.find("folder counters (messages/unseen/deleted/bytes) " + std::to_string(inbox1_) +
                     ": 2/42/0/"),
            std::string::npos)
      << all;
  EXPECT_EQ(rep->repaired, 0u);
  auto fix = store_->check(true);
  ASSERT_TRUE(fix.ok());
  EXPECT_EQ(fix->repaired, fix->problems.size());
  auto clean = store_->check(false);
  EXPECT_TRUE(clean->ok()) << clean->problems[0];
  EXPECT_EQ(store_->quota(1)->used_bytes, message(1).size() + message(2, 3000).size());
  EXPECT_EQ(deliver_one(1, message(3)).uid, 3u);
  EXPECT_EQ(blob_files(), 1u);
}

TEST_F(MailStoreTest, StartupSweepRemovesCrashDebrisOnly) {
  deliver_one(1, message(2, 3000));  // a file body (the fixture's inline_max is small)
  ASSERT_EQ(blob_files(), 1u);
  std::string orphan = sha256_hex("orphan");
  ASSERT_TRUE(BlobFiles(FsEnv::posix(), dir_ + "/blobs").put(orphan, "orphan").ok());
  { std::ofstream(dir_ + "/blobs/leftover.tmp") << "x"; }
  {
    // Damage that is not crash debris stays for `check` to report.
    auto db = std::move(*Db::open(dir_ + "/mail.db"));
    ASSERT_TRUE(db->exec("UPDATE mail_account SET used_bytes = 5 WHERE mailbox_id = 1").ok());
  }
  auto swept = store_->sweep_crash_debris();
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(swept->repaired, 2u);
  EXPECT_EQ(blob_files(), 1u);  // the referenced body is untouched
  auto rep = store_->check(false);
  ASSERT_TRUE(rep.ok());
  ASSERT_EQ(rep->problems.size(), 1u);
  EXPECT_NE(rep->problems[0].find("mailbox usage"), std::string::npos) << rep->problems[0];
  EXPECT_EQ(*store_->read(1, inbox1_, 1), message(2, 3000));
}

// A child process delivers in a loop and reports each acknowledged UID through a pipe; it is
// killed with SIGKILL mid-stream. Every acknowledged message must be present and intact, and
// nothing else may be half-visible.
TEST_F(MailStoreTest, CrashDuringDeliveryLosesNothingAcknowledged) {
  store_.reset();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    MailStoreOptions o;
    o.data_dir = dir_;
    o.inline_max = 1024;
    auto s = SqliteMailStore::open(o);
    if (!s.ok()) _exit(2);
    std::vector<std::thread> th;
    for (int t = 0; t < 4; ++t) {
      th.emplace_back([&, t] {
        for (int i = 0;; ++i) {
          int n = t * 100000 + i;
          auto r = (*s)->deliver(Delivery{{1}, "INBOX", message(n, (i % 3) ? 300 : 3000), 0, {}});
          if (!r[0].ok()) _exit(3);
          uint32_t rec[2] = {r[0]->uid, static_cast<uint32_t>(n)};
          if (write(fds[1], rec, sizeof rec) != sizeof rec) _exit(4);
        }
      });
    }
    for (auto& x : th) x.join();
    _exit(0);
  }
  close(fds[1]);
  std::map<Uid, int> acked;
  uint32_t rec[2];
  while (acked.size() < 150 && read(fds[0], rec, sizeof rec) == sizeof rec) acked[rec[0]] = rec[1];
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  while (read(fds[0], rec, sizeof rec) == sizeof rec) acked[rec[0]] = rec[1];
  close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early: " << WEXITSTATUS(status);
  ASSERT_GE(acked.size(), 150u);

  open_store();
  for (const auto& [uid, n] : acked) {
    auto body = store_->read(1, inbox1_, uid);
    ASSERT_TRUE(body.ok()) << "acknowledged uid " << uid << " lost";
    EXPECT_EQ(*body, message(n, (n % 100000 % 3) ? 300 : 3000));
  }
  // Only files of the interrupted batch may be left over; metadata is consistent.
  auto rep = store_->check(false);
  ASSERT_TRUE(rep.ok());
  for (const auto& p : rep->problems) {
    EXPECT_TRUE(p.find("not referenced") != std::string::npos ||
                p.find("stray file") != std::string::npos)
        << p;
  }
  ASSERT_TRUE(store_->check(true).ok());
  EXPECT_TRUE(store_->check(false)->ok());
  auto uids = *store_->uids(1, inbox1_);
  EXPECT_GE(uids.size(), acked.size());
  EXPECT_EQ(store_->quota(1)->used_messages, uids.size());
}

}  // namespace
}  // namespace posthouse::store::sqlite
