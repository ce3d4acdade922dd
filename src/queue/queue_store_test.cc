#include "queue/queue_store.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace posthouse::queue {
namespace {

TEST(QueueStore, EnqueueIsDurableAcrossReopen) {
  auto dir = std::filesystem::temp_directory_path() / ("phq-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "q.db").string();
  std::string qid;
  {
    auto db = std::move(*store::sqlite::Db::open(path));
    ASSERT_TRUE(db->migrate().ok());
    QueueStore q(*db);
    NewMessage m;
    m.sender = "bob@example.test";
    m.body = std::string("Subject: x\r\n\r\nbody\0with nul\r\n", 30);
    m.recipients = {{"a@Remote.TEST", 0, ""}, {"b@other.test", 6, "rfc822;b@other.test"}};
    auto r = q.enqueue(m, 100);
    ASSERT_TRUE(r.ok()) << r.error().message;
    qid = *r;
  }
  auto db = std::move(*store::sqlite::Db::open(path));
  QueueStore q(*db);
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
  auto db = std::move(*store::sqlite::Db::open(":memory:"));
  ASSERT_TRUE(db->migrate().ok());
  QueueStore q(*db);
  EXPECT_EQ(q.enqueue(empty, 0).error().code, base::Errc::kInvalid);
}

}  // namespace
}  // namespace posthouse::queue
