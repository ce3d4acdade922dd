#include "store/sqlite/queue_store.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace posthouse::store::sqlite {
namespace {

TEST(QueueStore, EnqueueIsDurableAcrossReopen) {
  auto dir = std::filesystem::temp_directory_path() / ("phq-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "q.db").string();
  std::string qid;
  {
    auto db = std::move(*Db::open(path));
    ASSERT_TRUE(db->migrate().ok());
    SqliteQueueStore q(*db);
    NewMessage m;
    m.sender = "bob@example.test";
    m.body = std::string("Subject: x\r\n\r\nbody\0with nul\r\n", 30);
    m.recipients = {{"a@Remote.TEST", 0, ""}, {"b@other.test", 6, "rfc822;b@other.test"}};
    auto r = q.enqueue(m, 100);
    ASSERT_TRUE(r.ok()) << r.error().message;
    qid = *r;
  }
  auto db = std::move(*Db::open(path));
  SqliteQueueStore q(*db);
  auto m = q.get(qid);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->sender, "bob@example.test");
  ASSERT_EQ(m->recipients.size(), 2u);
  EXPECT_EQ(m->recipients[0].domain, "remote.test");
  EXPECT_EQ(m->recipients[0].state, RecipientState::kQueued);
  EXPECT_EQ(q.body(qid)->size(), 30u);
  EXPECT_EQ(*q.count(RecipientState::kQueued), 2);
  EXPECT_EQ(q.get("Qnope").error().code, base::Errc::kNotFound);
  std::filesystem::remove_all(dir);
}

TEST(QueueStore, StateNames) {
  EXPECT_EQ(state_name(RecipientState::kDeferred), "deferred");
  EXPECT_EQ(state_from_name("bounced"), RecipientState::kBounced);
  EXPECT_FALSE(state_from_name("lost").has_value());
  EXPECT_TRUE(is_final(RecipientState::kExpired));
  EXPECT_FALSE(is_final(RecipientState::kSending));
  NewMessage empty;
  auto db = std::move(*Db::open(":memory:"));
  ASSERT_TRUE(db->migrate().ok());
  SqliteQueueStore q(*db);
  EXPECT_EQ(q.enqueue(empty, 0).error().code, base::Errc::kInvalid);
}

// What a next hop that offers DSN is given comes back from the claim as it was enqueued.
TEST(QueueStore, ClaimCarriesDsnParameters) {
  auto db = std::move(*Db::open(":memory:"));
  ASSERT_TRUE(db->migrate().ok());
  SqliteQueueStore q(*db);
  for (int ret = 0; ret < 3; ++ret) {
    NewMessage m;
    m.sender = "a@local.test";
    m.body = "Subject: x\r\n\r\nb\r\n";
    m.envid = "env-" + std::to_string(ret);
    m.ret_full = ret == 1;
    m.ret_hdrs = ret == 2;
    m.recipients = {{"x@one.test", 2 | 4, "rfc822;orig@local.test"}};
    ASSERT_TRUE(q.enqueue(m, 100).ok());
  }
  auto claims = *q.claim_due(100, 10);
  ASSERT_EQ(claims.size(), 3u);
  for (int ret = 0; ret < 3; ++ret) {
    const Claim& c = claims[ret];
    EXPECT_EQ(c.envid, "env-" + std::to_string(ret));
    EXPECT_EQ(c.ret_full, ret == 1);
    EXPECT_EQ(c.ret_hdrs, ret == 2);
    EXPECT_EQ(c.recipients[0].notify, 6);
    EXPECT_EQ(c.recipients[0].orcpt, "rfc822;orig@local.test");
  }
}

TEST(QueueStore, ClaimRecordRetryRemove) {
  auto db = std::move(*Db::open(":memory:"));
  ASSERT_TRUE(db->migrate().ok());
  SqliteQueueStore q(*db);
  NewMessage m;
  m.sender = "a@local.test";
  m.body = "Subject: x\r\n\r\nb\r\n";
  m.recipients = {{"x@one.test", 0, ""}, {"y@one.test", 0, ""}, {"z@two.test", 0, ""}};
  auto qid = *q.enqueue(m, 100);
  auto claims = q.claim_due(100, 10);
  ASSERT_TRUE(claims.ok());
  ASSERT_EQ(claims->size(), 2u);  // one per domain
  EXPECT_EQ((*claims)[0].recipients.size(), 2u);
  // Claimed recipients are not claimed twice.
  EXPECT_TRUE(q.claim_due(100, 10)->empty());
  const auto& one = (*claims)[0];
  ASSERT_TRUE(q.record({{one.recipients[0].id, RecipientState::kDelivered, 100, "250 ok"},
                        {one.recipients[1].id, RecipientState::kDeferred, 200, "451 later"}},
                       100)
                  .ok());
  ASSERT_TRUE(q.release({(*claims)[1].recipients[0].id}).ok());
  auto got = *q.get(qid);
  EXPECT_EQ(got.recipients[0].state, RecipientState::kDelivered);
  EXPECT_EQ(got.recipients[1].state, RecipientState::kDeferred);
  EXPECT_EQ(got.recipients[1].attempts, 1);
  EXPECT_EQ(got.recipients[2].state, RecipientState::kQueued);
  EXPECT_EQ(got.recipients[2].attempts, 0);
  // Not due before its time; retry makes it due now.
  EXPECT_EQ(q.claim_due(150, 10)->size(), 1u);  // the released one
  ASSERT_TRUE(q.retry(qid, 150).ok());
  auto again = *q.claim_due(150, 10);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].recipients[0].address, "y@one.test");
  // A crash leaves `sending`: recover makes it deferred and due.
  EXPECT_EQ(*q.recover(160), 2);
  EXPECT_EQ(q.get(qid)->recipients[1].state, RecipientState::kDeferred);
  ASSERT_TRUE(q.remove(qid).ok());
  EXPECT_EQ(q.get(qid).error().code, base::Errc::kNotFound);
  EXPECT_EQ(q.remove(qid).error().code, base::Errc::kNotFound);
  EXPECT_EQ(q.retry(qid, 1).error().code, base::Errc::kNotFound);
}

TEST(QueueStore, PagesFiltersOriginAndRetryToQueued) {
  auto db = std::move(*Db::open(":memory:"));
  ASSERT_TRUE(db->migrate().ok());
  SqliteQueueStore q(*db);
  NewMessage m;
  m.sender = "a@local.test";
  m.body = "Subject: x\r\n\r\nb\r\n";
  m.recipients = {{"x@one.test", 0, ""}};
  m.origin_domain_id = 7;
  auto first = *q.enqueue(m, 100);
  m.recipients = {{"y@Two.test", 0, ""}};
  m.origin_domain_id.reset();
  auto second = *q.enqueue(m, 100);
  EXPECT_EQ(q.get(first)->origin_domain_id, std::optional<int64_t>(7));
  EXPECT_FALSE(q.get(second)->origin_domain_id.has_value());
  ListFilter f;
  f.limit = 1;
  auto p1 = *q.list_page(f);
  ASSERT_EQ(p1.size(), 1u);
  EXPECT_EQ(p1[0].queue_id, first);
  f.after_id = p1[0].id;
  auto p2 = *q.list_page(f);
  ASSERT_EQ(p2.size(), 1u);
  EXPECT_EQ(p2[0].queue_id, second);
  f.after_id = p2[0].id;
  EXPECT_TRUE(q.list_page(f)->empty());
  ListFilter byd;
  byd.recipient_domain = "TWO.test";
  auto two = *q.list_page(byd);
  ASSERT_EQ(two.size(), 1u);
  EXPECT_EQ(two[0].queue_id, second);
  // A deferred recipient goes back to queued, due now; a state filter follows it.
  auto claims = *q.claim_due(100, 10);
  ASSERT_EQ(claims.size(), 2u);
  ASSERT_TRUE(q.record({{claims[0].recipients[0].id, RecipientState::kDeferred, 999, "451"},
                        {claims[1].recipients[0].id, RecipientState::kDelivered, 0, "250"}},
                       100)
                  .ok());
  ListFilter deferred;
  deferred.state = RecipientState::kDeferred;
  ASSERT_EQ(q.list_page(deferred)->size(), 1u);
  ASSERT_TRUE(q.retry(first, 120).ok());
  auto r = q.get(first)->recipients[0];
  EXPECT_EQ(r.state, RecipientState::kQueued);
  EXPECT_EQ(r.next_attempt_at, 120);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_TRUE(q.list_page(deferred)->empty());
  // Nothing waiting in the delivered one.
  EXPECT_EQ(q.retry(second, 120).error().code, base::Errc::kConflict);
}


TEST(QueueStore, DelayWarnedFlagIsSetOnceAndSurvivesReopen) {
  auto dir = std::filesystem::temp_directory_path() / ("phqw-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "q.db").string();
  int64_t a = 0, b = 0;
  {
    auto db = std::move(*Db::open(path));
    ASSERT_TRUE(db->migrate().ok());
    SqliteQueueStore q(*db);
    NewMessage m;
    m.sender = "a@local.test";
    m.body = "Subject: x\r\n\r\nb\r\n";
    m.recipients = {{"x@one.test", 0, ""}, {"y@one.test", 0, ""}};
    ASSERT_TRUE(q.enqueue(m, 100).ok());
    auto claims = *q.claim_due(100, 10);
    ASSERT_EQ(claims.size(), 1u);
    a = claims[0].recipients[0].id;
    b = claims[0].recipients[1].id;
    EXPECT_FALSE(claims[0].recipients[0].delay_warned);
    EXPECT_EQ(*q.mark_delay_warned({a}), std::vector<int64_t>{a});
    // Only those not warned yet come back: the decision is taken once.
    EXPECT_EQ(*q.mark_delay_warned({a, b}), std::vector<int64_t>{b});
    EXPECT_TRUE(q.mark_delay_warned({a, b})->empty());
    ASSERT_TRUE(q.unmark_delay_warned({b}).ok());
    ASSERT_TRUE(q.recover(100).ok());
  }
  auto db = std::move(*Db::open(path));
  SqliteQueueStore q(*db);
  auto claims = *q.claim_due(100, 10);
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_TRUE(claims[0].recipients[0].delay_warned);
  EXPECT_FALSE(claims[0].recipients[1].delay_warned);
  EXPECT_EQ(*q.mark_delay_warned({a, b}), std::vector<int64_t>{b});
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace posthouse::store::sqlite
