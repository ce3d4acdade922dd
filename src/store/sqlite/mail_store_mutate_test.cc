// SqliteMailStore changes to stored mail: flags and MODSEQ, expunge, copy and move, folders.
#include <gtest/gtest.h>

#include "store/sqlite/test_mail_store.h"

namespace posthouse::store::sqlite {
namespace {

using base::Errc;
using testing::MailStoreTest;
using testing::message;

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

TEST_F(MailStoreTest, AppendManyIsAllOrNothingAndReplaceExpungesInTheSameTransaction) {
  auto items = [](std::vector<std::string> raws) {
    std::vector<AppendItem> v;
    for (auto& r : raws) v.push_back(AppendItem{r, 1600000000, Flags{kSeen, {}}});
    return v;
  };
  auto r = store_->append_many(1, inbox1_, items({message(1), message(2), message(3)}), {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->appended.size(), 3u);
  EXPECT_EQ(r->appended[0].uid, 1u);
  EXPECT_EQ(r->appended[2].uid, 3u);
  EXPECT_TRUE(r->replaced.uids.empty());
  auto metas = store_->fetch(1, inbox1_, all_uids(), FetchOptions{});
  ASSERT_EQ(metas->size(), 3u);
  EXPECT_EQ((*metas)[1].internaldate, 1600000000);
  EXPECT_GT((*metas)[1].savedate, 1700000000);  // saved now, not at the date APPEND gave
  EXPECT_EQ((*metas)[1].flags.system, kSeen);

  // The third message does not fit the quota: none of the three is appended.
  uint64_t used = store_->quota(1)->used_bytes;
  ASSERT_TRUE(store_->set_quota(1, used + 2 * message(4).size(), std::nullopt).ok());
  auto over = store_->append_many(1, inbox1_, items({message(4), message(5), message(6)}), {});
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, Errc::kLimit);
  EXPECT_EQ(store_->status(1, inbox1_)->messages, 3u);
  EXPECT_EQ(store_->quota(1)->used_bytes, used);

  // REPLACE: the old message's bytes are freed before the quota check of the new one.
  auto drafts = store_->folder(1, "Drafts");
  ASSERT_TRUE(drafts.ok());
  auto rep = store_->append_many(1, drafts->id, items({message(2)}), ReplaceOf{inbox1_, 2});
  ASSERT_TRUE(rep.ok()) << rep.error().message;
  EXPECT_EQ(rep->replaced.uids, std::vector<Uid>{2});
  EXPECT_EQ(*store_->uids(1, inbox1_), (std::vector<Uid>{1, 3}));
  EXPECT_EQ(store_->status(1, drafts->id)->messages, 1u);
  // Into a folder of another mailbox: refused, and the message to replace stays.
  auto other = store_->append_many(1, inbox2_, items({message(7)}), ReplaceOf{inbox1_, 3});
  EXPECT_EQ(other.error().code, Errc::kNotFound);
  EXPECT_EQ(*store_->uids(1, inbox1_), (std::vector<Uid>{1, 3}));
  // A replaced message that is already gone is not an error.
  auto gone = store_->append_many(1, inbox1_, items({message(8)}), ReplaceOf{inbox1_, 2});
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone->replaced.uids.empty());
}

TEST_F(MailStoreTest, CopyAndMoveGiveANewSaveDate) {
  deliver_one(1, message(1));
  auto m = store_->fetch(1, inbox1_, all_uids(), FetchOptions{});
  ASSERT_TRUE(m.ok());
  EXPECT_GE((*m)[0].savedate, (*m)[0].internaldate);
  auto trash = store_->folder(1, "Trash");
  ASSERT_TRUE(store_->copy(1, inbox1_, all_uids(), trash->id).ok());
  FetchOptions flags_only;
  flags_only.flags_only = true;
  auto c = store_->fetch(1, trash->id, all_uids(), flags_only);
  ASSERT_EQ(c->size(), 1u);
  EXPECT_GT((*c)[0].savedate, 0);
}

}  // namespace
}  // namespace posthouse::store::sqlite
