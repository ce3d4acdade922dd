#include "store/sqlite/mail_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "mime/message.h"
#include "store/sqlite/db.h"

namespace posthouse::store::sqlite {
namespace {

using base::Errc;

std::string message(int n, size_t body_size = 40) {
  std::string body;
  while (body.size() < body_size) body += fmt::format("line {} of message {}\r\n", body.size(), n);
  return fmt::format(
      "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: test {}\r\n"
      "Message-ID: <m{}@example.com>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n{}",
      n, n, body);
}

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
  void open_store() {
    store_.reset();
    MailStoreOptions o;
    o.data_dir = dir_;
    o.inline_max = inline_max_;
    o.env = &env_;
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

TEST_F(MailStoreTest, DefaultFoldersHaveSpecialUse) {
  auto folders = store_->list_folders(1);
  ASSERT_TRUE(folders.ok());
  std::map<std::string, std::string> got;
  std::set<uint32_t> validities;
  for (const auto& f : *folders) {
    got[f.name] = f.special_use;
    validities.insert(f.uidvalidity);
    EXPECT_TRUE(f.subscribed);
    EXPECT_EQ(f.uidnext, 1u);
  }
  EXPECT_EQ(got, (std::map<std::string, std::string>{{"Archive", "\\Archive"},
                                                     {"Drafts", "\\Drafts"},
                                                     {"INBOX", ""},
                                                     {"Junk", "\\Junk"},
                                                     {"Sent", "\\Sent"},
                                                     {"Trash", "\\Trash"}}));
  EXPECT_EQ(validities.size(), 6u);  // each folder its own UIDVALIDITY
  // Idempotent.
  ASSERT_TRUE(store_->ensure_mailbox(1, default_folders()).ok());
  EXPECT_EQ(store_->list_folders(1)->size(), 6u);
  EXPECT_EQ(store_->list_folders(77).error().code, Errc::kNotFound);
}

TEST_F(MailStoreTest, DeliverSharesOneBodyAndFetchesPrecomputedStructure) {
  std::string raw = message(1);
  Delivery d;
  d.recipients = {1, 2, 99};
  d.raw = raw;
  d.internaldate = 1700000000;
  auto res = store_->deliver(d);
  ASSERT_EQ(res.size(), 3u);
  ASSERT_TRUE(res[0].ok());
  ASSERT_TRUE(res[1].ok());
  EXPECT_EQ(res[2].error().code, Errc::kNotFound);  // unknown recipient, others unaffected
  EXPECT_EQ(res[0]->uid, 1u);
  EXPECT_EQ(res[1]->uid, 1u);
  EXPECT_EQ(res[0]->folder_id, inbox1_);

  FetchOptions o;
  o.structure = true;
  o.headers = true;
  auto m1 = store_->fetch(1, inbox1_, all_uids(), o);
  ASSERT_TRUE(m1.ok());
  ASSERT_EQ(m1->size(), 1u);
  const MessageMeta& m = (*m1)[0];
  auto parsed = mime::parse(raw);
  EXPECT_EQ(m.envelope, parsed.envelope);
  EXPECT_EQ(m.bodystructure, parsed.bodystructure);
  EXPECT_EQ(m.body, parsed.body);
  EXPECT_EQ(m.part_map, parsed.parts.serialize());
  EXPECT_EQ(m.size, raw.size());
  EXPECT_EQ(m.header_size, parsed.header_size);
  EXPECT_EQ(m.internaldate, 1700000000);
  ASSERT_TRUE(m.headers.has_value());
  EXPECT_EQ(m.headers->subject, "test 1");
  EXPECT_EQ(m.headers->message_id, "<m1@example.com>");
  EXPECT_EQ(m.headers->sort_from, "alice");
  auto m2 = store_->fetch(2, inbox2_, all_uids(), {});
  ASSERT_EQ(m2->size(), 1u);
  EXPECT_EQ((*m2)[0].blob, m.blob);        // one body, two recipients
  EXPECT_TRUE((*m2)[0].envelope.empty());  // structure not requested
  FetchOptions flags_only;
  flags_only.flags_only = true;
  flags_only.structure = true;  // ignored
  auto f = store_->fetch(1, inbox1_, {{1, 1}, {1, 3}}, flags_only);
  ASSERT_EQ(f->size(), 1u);
  EXPECT_EQ((*f)[0].size, raw.size());
  EXPECT_EQ((*f)[0].internaldate, 1700000000);
  EXPECT_TRUE((*f)[0].blob.empty());
  EXPECT_TRUE((*f)[0].envelope.empty());

  EXPECT_EQ(*store_->read(1, inbox1_, 1), raw);
  EXPECT_EQ(*store_->read(2, inbox2_, 1, 6, 5), "Alice");
  EXPECT_EQ(*store_->read(1, inbox1_, 1, raw.size() + 5, 10), "");
  EXPECT_EQ(store_->read(1, inbox1_, 2).error().code, Errc::kNotFound);
  // Another mailbox's folder is invisible.
  EXPECT_EQ(store_->read(2, inbox1_, 1).error().code, Errc::kNotFound);
  EXPECT_EQ(store_->fetch(2, inbox1_, all_uids(), {}).error().code, Errc::kNotFound);

  EXPECT_EQ(store_->quota(1)->used_bytes, raw.size());
  EXPECT_EQ(store_->quota(2)->used_messages, 1u);
  EXPECT_EQ(blob_files(), 0u);  // small body: inside the database
  auto rep = store_->check(false);
  ASSERT_TRUE(rep.ok());
  EXPECT_TRUE(rep->ok()) << rep->problems[0];
}

TEST_F(MailStoreTest, LargeBodiesAreFilesFreedWithTheLastReference) {
  std::string raw = message(7, 5000);
  Delivery d;
  d.recipients = {1, 2};
  d.raw = raw;
  auto res = store_->deliver(d);
  ASSERT_TRUE(res[0].ok() && res[1].ok());
  EXPECT_EQ(blob_files(), 1u);
  EXPECT_EQ(*store_->read(1, inbox1_, 1), raw);
  EXPECT_EQ(*store_->read(2, inbox2_, 1, 100, 50), raw.substr(100, 50));
  ASSERT_TRUE(store_->store_flags(1, inbox1_, all_uids(), FlagOp::kAdd, {kDeleted, {}}, {}).ok());
  ASSERT_TRUE(store_->expunge(1, inbox1_, std::nullopt).ok());
  EXPECT_EQ(blob_files(), 1u);  // mailbox 2 still holds it
  EXPECT_EQ(*store_->read(2, inbox2_, 1), raw);
  ASSERT_TRUE(store_->store_flags(2, inbox2_, all_uids(), FlagOp::kAdd, {kDeleted, {}}, {}).ok());
  ASSERT_TRUE(store_->expunge(2, inbox2_, std::nullopt).ok());
  EXPECT_EQ(blob_files(), 0u);
  EXPECT_TRUE(store_->check(false)->ok());
  // The same body again is written again.
  deliver_one(1, raw);
  EXPECT_EQ(blob_files(), 1u);
  EXPECT_EQ(*store_->read(1, inbox1_, 2), raw);
}

TEST_F(MailStoreTest, FlagsModseqAndUnchangedSince) {
  for (int i = 0; i < 3; ++i) deliver_one(1, message(i));
  auto st0 = *store_->status(1, inbox1_);
  EXPECT_EQ(st0.messages, 3u);
  EXPECT_EQ(st0.unseen, 3u);
  EXPECT_EQ(st0.uidnext, 4u);
  EXPECT_EQ(st0.first_unseen_uid, 1u);
  ModSeq before = st0.highestmodseq;

  auto r = store_->store_flags(1, inbox1_, {{1, 2}}, FlagOp::kAdd, {kSeen, {"$Label1"}}, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->updated.size(), 2u);
  EXPECT_TRUE(r->updated[0].changed);
  EXPECT_GT(r->updated[0].modseq, before);
  EXPECT_EQ(r->updated[0].modseq, r->updated[1].modseq);
  EXPECT_EQ(r->highestmodseq, r->updated[0].modseq);
  EXPECT_EQ(r->updated[0].flags, (Flags{kSeen, {"$Label1"}}));
  ModSeq after = r->highestmodseq;

  // Same flags again: nothing changes, modseq stays.
  auto again = store_->store_flags(1, inbox1_, {{1, 1}}, FlagOp::kAdd, {kSeen, {}}, {});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->updated[0].changed);
  EXPECT_EQ(store_->status(1, inbox1_)->highestmodseq, after);

  // UNCHANGEDSINCE older than messages 1 and 2: those are reported modified, 3 is changed.
  auto cond = store_->store_flags(1, inbox1_, all_uids(), FlagOp::kAdd, {kFlagged, {}}, before);
  ASSERT_TRUE(cond.ok());
  EXPECT_EQ(cond->modified, (std::vector<Uid>{1, 2}));
  ASSERT_EQ(cond->updated.size(), 1u);
  EXPECT_EQ(cond->updated[0].uid, 3u);

  FetchOptions since;
  since.changed_since = after;
  auto changed = store_->fetch(1, inbox1_, all_uids(), since);
  ASSERT_EQ(changed->size(), 1u);
  EXPECT_EQ((*changed)[0].uid, 3u);

  auto rep =
      store_->store_flags(1, inbox1_, {{1, 1}}, FlagOp::kReplace, {kAnswered, {"b", "a"}}, {});
  EXPECT_EQ(rep->updated[0].flags, (Flags{kAnswered, {"a", "b"}}));
  auto rm = store_->store_flags(1, inbox1_, {{1, 1}}, FlagOp::kRemove, {kAnswered, {"a"}}, {});
  EXPECT_EQ(rm->updated[0].flags, (Flags{0, {"b"}}));

  EXPECT_EQ(
      store_->store_flags(1, inbox1_, all_uids(), FlagOp::kAdd, {0, {"bad word"}}, {}).error().code,
      Errc::kInvalid);
  EXPECT_EQ(
      store_->store_flags(1, inbox1_, all_uids(), FlagOp::kAdd, {0, {"\\Seen"}}, {}).error().code,
      Errc::kInvalid);
  EXPECT_EQ(store_->status(1, inbox1_)->unseen, 2u);  // 1 lost \Seen by replace; 3 never had it
}

TEST_F(MailStoreTest, ExpungeRecordsVanishedAndNeverReusesUids) {
  for (int i = 0; i < 4; ++i) deliver_one(1, message(i));
  uint64_t size_all = store_->quota(1)->used_bytes;
  ModSeq before = store_->status(1, inbox1_)->highestmodseq;
  ASSERT_TRUE(store_->store_flags(1, inbox1_, {{2, 3}}, FlagOp::kAdd, {kDeleted, {}}, {}).ok());
  // UID EXPUNGE limited to 3.
  auto e1 = store_->expunge(1, inbox1_, UidSet{{3, 3}});
  ASSERT_TRUE(e1.ok());
  EXPECT_EQ(e1->uids, (std::vector<Uid>{3}));
  auto e2 = store_->expunge(1, inbox1_, std::nullopt);
  EXPECT_EQ(e2->uids, (std::vector<Uid>{2}));
  EXPECT_GT(e2->modseq, e1->modseq);
  EXPECT_EQ(*store_->uids(1, inbox1_), (std::vector<Uid>{1, 4}));
  EXPECT_EQ(*store_->expunged_since(1, inbox1_, before), (std::vector<Uid>{2, 3}));
  EXPECT_EQ(*store_->expunged_since(1, inbox1_, e1->modseq), (std::vector<Uid>{2}));
  auto q = *store_->quota(1);
  EXPECT_EQ(q.used_messages, 2u);
  EXPECT_EQ(q.used_bytes, size_all - message(1).size() - message(2).size());
  EXPECT_EQ(deliver_one(1, message(9)).uid, 5u);
  auto empty = store_->expunge(1, inbox1_, std::nullopt);
  EXPECT_TRUE(empty->uids.empty());
  auto seq = store_->fetch_seq(1, inbox1_, 2, 3, {});
  ASSERT_TRUE(seq.ok());
  ASSERT_EQ(seq->size(), 2u);
  EXPECT_EQ((*seq)[0].uid, 4u);
  EXPECT_EQ((*seq)[1].uid, 5u);
  EXPECT_EQ(store_->fetch_seq(1, inbox1_, 0, 3, {}).error().code, Errc::kInvalid);
}

TEST_F(MailStoreTest, CopyAndMove) {
  for (int i = 0; i < 3; ++i) deliver_one(1, message(i));
  ASSERT_TRUE(store_->store_flags(1, inbox1_, {{2, 2}}, FlagOp::kAdd, {kSeen, {"k"}}, {}).ok());
  auto archive = *store_->folder(1, "Archive");
  uint64_t used = store_->quota(1)->used_bytes;
  auto c = store_->copy(1, inbox1_, {{2, 3}}, archive.id);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->dest_uidvalidity, archive.uidvalidity);
  EXPECT_EQ(c->uids, (std::vector<std::pair<Uid, Uid>>{{2, 1}, {3, 2}}));
  EXPECT_EQ(store_->quota(1)->used_bytes, used + message(1).size() + message(2).size());
  auto copied = store_->fetch(1, archive.id, {{1, 1}}, {});
  EXPECT_EQ((*copied)[0].flags, (Flags{kSeen, {"k"}}));
  EXPECT_EQ(*store_->read(1, archive.id, 2), message(2));

  uint64_t used2 = store_->quota(1)->used_bytes;
  auto trash = *store_->folder(1, "Trash");
  auto m = store_->move(1, inbox1_, {{1, 2}}, trash.id);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->uids, (std::vector<std::pair<Uid, Uid>>{{1, 1}, {2, 2}}));
  EXPECT_EQ(*store_->uids(1, inbox1_), (std::vector<Uid>{3}));
  EXPECT_EQ(*store_->uids(1, trash.id), (std::vector<Uid>{1, 2}));
  EXPECT_EQ(store_->quota(1)->used_bytes, used2);
  EXPECT_EQ(store_->expunged_since(1, inbox1_, 0)->size(), 2u);
  // Another mailbox's folder as destination is refused.
  EXPECT_EQ(store_->copy(1, inbox1_, all_uids(), inbox2_).error().code, Errc::kNotFound);
  EXPECT_TRUE(store_->check(false)->ok());
}

TEST_F(MailStoreTest, FolderCreateRenameDelete) {
  auto c = store_->create_folder(1, "Projects/2026/Q4", "");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(store_->folder(1, "Projects").ok());
  EXPECT_TRUE(store_->folder(1, "Projects/2026").ok());
  EXPECT_EQ(store_->create_folder(1, "Projects", "").error().code, Errc::kConflict);
  for (const std::string& bad :
       std::vector<std::string>{"", "a//b", "/a", "a/", "..", "a/../b", "a\x01", "\xff\xfe"}) {
    EXPECT_EQ(store_->create_folder(1, bad, "").error().code, Errc::kInvalid) << bad;
  }
  auto projects = *store_->folder(1, "Projects");
  deliver_one(1, message(1));
  Delivery d;
  d.recipients = {1};
  d.folder = "Projects/2026/Q4";
  d.raw = message(2);
  ASSERT_TRUE(store_->deliver(d)[0].ok());
  EXPECT_EQ(store_->status(1, c->id)->messages, 1u);

  ASSERT_TRUE(store_->rename_folder(1, projects.id, "Work/Old").ok());
  EXPECT_TRUE(store_->folder(1, "Work").ok());  // parent created
  auto moved = store_->folder(1, "Work/Old/2026/Q4");
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->id, c->id);
  EXPECT_EQ(moved->uidvalidity, c->uidvalidity);
  EXPECT_EQ(store_->folder(1, "Projects").error().code, Errc::kNotFound);
  EXPECT_EQ(store_->rename_folder(1, moved->id, "Sent").error().code, Errc::kConflict);
  auto work = *store_->folder(1, "Work");
  EXPECT_EQ(store_->rename_folder(1, work.id, "Work/Sub").error().code, Errc::kInvalid);

  // Renaming INBOX moves its messages and leaves it empty.
  ASSERT_TRUE(store_->rename_folder(1, inbox1_, "Old Inbox").ok());
  auto old = *store_->folder(1, "Old Inbox");
  EXPECT_EQ(*store_->uids(1, old.id), (std::vector<Uid>{1}));
  EXPECT_EQ(*store_->read(1, old.id, 1), message(1));
  EXPECT_TRUE(store_->uids(1, inbox1_)->empty());
  EXPECT_EQ(deliver_one(1, message(3)).uid, 2u);  // INBOX keeps its UIDNEXT

  EXPECT_EQ(store_->delete_folder(1, inbox1_).error().code, Errc::kInvalid);
  uint64_t used = store_->quota(1)->used_bytes;
  auto del = store_->delete_folder(1, moved->id);
  ASSERT_TRUE(del.ok()) << del.error().message;
  EXPECT_EQ(store_->quota(1)->used_bytes, used - message(2).size());
  EXPECT_EQ(store_->status(1, moved->id).error().code, Errc::kNotFound);
  ASSERT_TRUE(store_->set_subscribed(1, old.id, false).ok());
  EXPECT_FALSE(store_->folder(1, "Old Inbox")->subscribed);
  EXPECT_TRUE(store_->check(false)->ok());
}

TEST_F(MailStoreTest, QuotaIsEnforcedPerRecipient) {
  std::string raw = message(1);
  ASSERT_TRUE(store_->set_quota(1, raw.size() * 2, std::nullopt).ok());
  ASSERT_TRUE(store_->set_quota(2, std::nullopt, 1).ok());
  EXPECT_EQ(store_->set_quota(5, 1, 1).error().code, Errc::kNotFound);
  Delivery d;
  d.recipients = {1, 2};
  d.raw = raw;
  auto r1 = store_->deliver(d);
  ASSERT_TRUE(r1[0].ok() && r1[1].ok());
  auto r2 = store_->deliver(d);
  EXPECT_TRUE(r2[0].ok());
  EXPECT_EQ(r2[1].error().code, Errc::kLimit);  // message count limit
  auto r3 = store_->deliver(d);
  EXPECT_EQ(r3[0].error().code, Errc::kLimit);  // byte limit
  EXPECT_EQ(store_->append(1, inbox1_, raw, 0, {}).error().code, Errc::kLimit);
  auto archive = *store_->folder(1, "Archive");
  EXPECT_EQ(store_->copy(1, inbox1_, all_uids(), archive.id).error().code, Errc::kLimit);
  auto q = *store_->quota(1);
  EXPECT_EQ(q.used_bytes, raw.size() * 2);
  EXPECT_EQ(q.limit_bytes.value_or(0), raw.size() * 2);
  EXPECT_FALSE(q.limit_messages.has_value());
  EXPECT_EQ(*store_->uids(1, inbox1_), (std::vector<Uid>{1, 2}));
  EXPECT_TRUE(store_->check(false)->ok());
}

TEST_F(MailStoreTest, AppendWithFlagsAndAsync) {
  auto drafts = *store_->folder(1, "Drafts");
  auto a = store_->append(1, drafts.id, message(1), 1600000000, {kDraft | kSeen, {"$MDNSent"}});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->uidvalidity, drafts.uidvalidity);
  std::promise<base::Result<Appended>> p;
  store_->append_async(1, drafts.id, message(2), 0, {},
                       [&](base::Result<Appended> r) { p.set_value(std::move(r)); });
  auto b = p.get_future().get();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->uid, 2u);
  auto m = store_->fetch(1, drafts.id, {{1, 1}}, {});
  EXPECT_EQ((*m)[0].flags, (Flags{kDraft | kSeen, {"$MDNSent"}}));
  EXPECT_EQ((*m)[0].internaldate, 1600000000);
  EXPECT_EQ(store_->append(1, inbox2_, message(3), 0, {}).error().code, Errc::kNotFound);
  EXPECT_EQ(store_->append(1, drafts.id, message(3), 0, {64, {}}).error().code, Errc::kInvalid);
}

TEST_F(MailStoreTest, WatchersSeeCommittedChanges) {
  std::mutex mu;
  std::vector<Change> seen;
  uint64_t t = store_->watch(1, [&](const Change& c) {
    std::lock_guard lk(mu);
    seen.push_back(c);
  });
  auto a = deliver_one(1, message(1));
  deliver_one(2, message(2));  // other mailbox: not seen
  ASSERT_TRUE(store_->store_flags(1, inbox1_, all_uids(), FlagOp::kAdd, {kSeen, {}}, {}).ok());
  {
    std::lock_guard lk(mu);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].kind, Change::Kind::kAppend);
    EXPECT_EQ(seen[0].folder_id, inbox1_);
    EXPECT_EQ(seen[0].uidnext, a.uid + 1);
    EXPECT_EQ(seen[1].kind, Change::Kind::kFlags);
  }
  store_->unwatch(t);
  deliver_one(1, message(3));
  std::lock_guard lk(mu);
  EXPECT_EQ(seen.size(), 2u);
}

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
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  int calls = 0;
  store_.reset();
  MailStoreOptions o;
  o.data_dir = dir_;
  o.inline_max = inline_max_;
  o.before_commit = [&]() -> base::Status {
    std::unique_lock lk(mu);
    if (++calls == 1) {
      cv.notify_all();
      cv.wait(lk, [&] { return release; });  // hold the first batch while others queue
      return {};
    }
    if (calls == 2) return base::Error(Errc::kIo, "injected commit failure");
    return {};
  };
  store_ = std::move(*SqliteMailStore::open(o));
  std::promise<DeliveryResult> first;
  store_->deliver_async(Delivery{{1}, "INBOX", message(0), 0, {}},
                        [&](DeliveryResult r) { first.set_value(std::move(r)); });
  {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return calls == 1; });  // the writer holds the first batch
  }
  const int kQueued = 5;
  std::vector<std::promise<DeliveryResult>> ps(kQueued);
  for (int i = 0; i < kQueued; ++i) {
    store_->deliver_async(Delivery{{1, 2}, "INBOX", message(i + 1, i % 2 ? 3000 : 100), 0, {}},
                          [&ps, i](DeliveryResult r) { ps[i].set_value(std::move(r)); });
  }
  {
    std::lock_guard lk(mu);
    release = true;
  }
  cv.notify_all();
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

TEST_F(MailStoreTest, ReopenKeepsEverything) {
  auto a = deliver_one(1, message(1, 3000));
  auto before = *store_->folder(1, "INBOX");
  open_store();
  auto after = *store_->folder(1, "INBOX");
  EXPECT_EQ(after.uidvalidity, before.uidvalidity);
  EXPECT_EQ(after.uidnext, 2u);
  EXPECT_EQ(*store_->read(1, inbox1_, a.uid), message(1, 3000));
}

TEST_F(MailStoreTest, StopFailsLaterCallsCleanly) {
  store_->stop();
  auto r = store_->deliver(Delivery{{1}, "INBOX", message(1), 0, {}});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].error().code, Errc::kUnavailable);
}

TEST_F(MailStoreTest, TooLargeMessageIsRefused) {
  store_.reset();
  MailStoreOptions o;
  o.data_dir = dir_;
  o.max_message_size = 100;
  auto s = SqliteMailStore::open(o);
  ASSERT_TRUE(s.ok());
  auto r = (*s)->deliver(Delivery{{1, 2}, "INBOX", message(1, 500), 0, {}});
  EXPECT_EQ(r[0].error().code, Errc::kTooLarge);
  EXPECT_EQ(r[1].error().code, Errc::kTooLarge);
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

TEST_F(MailStoreTest, DeleteMailboxReleasesEverything) {
  std::string big = message(1, 4000);
  Delivery d;
  d.recipients = {1, 2};
  d.raw = big;
  ASSERT_TRUE(store_->deliver(d)[0].ok());
  ASSERT_TRUE(store_->delete_mailbox(1).ok());
  EXPECT_EQ(store_->list_folders(1).error().code, Errc::kNotFound);
  EXPECT_EQ(store_->quota(1).error().code, Errc::kNotFound);
  EXPECT_EQ(*store_->read(2, inbox2_, 1), big);
  EXPECT_EQ(blob_files(), 1u);
  ASSERT_TRUE(store_->delete_mailbox(2).ok());
  EXPECT_EQ(blob_files(), 0u);
  EXPECT_EQ(store_->delete_mailbox(2).error().code, Errc::kNotFound);
  EXPECT_TRUE(store_->check(false)->ok());
}

TEST_F(MailStoreTest, DeliveryToMissingFolderFallsBackToInbox) {
  Delivery d;
  d.recipients = {1};
  d.folder = "No/Such";
  d.raw = message(1);
  auto r = store_->deliver(d);
  ASSERT_TRUE(r[0].ok());
  EXPECT_EQ(r[0]->folder_id, inbox1_);
  d.folder = "junk";  // case matters outside INBOX: falls back too
  EXPECT_EQ(store_->deliver(d)[0]->folder_id, inbox1_);
  d.folder = "Junk";
  EXPECT_EQ(store_->deliver(d)[0]->folder_id, store_->folder(1, "Junk")->id);
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
