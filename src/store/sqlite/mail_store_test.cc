// Delivery, append, reads, quota, watchers and lifetime of SqliteMailStore.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <mutex>
#include <set>

#include "mime/message.h"
#include "store/sqlite/test_mail_store.h"

namespace posthouse::store::sqlite {
namespace {

using base::Errc;
using testing::MailStoreTest;
using testing::message;

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

}  // namespace
}  // namespace posthouse::store::sqlite
