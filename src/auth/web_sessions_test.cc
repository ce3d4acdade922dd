#include "auth/web_sessions.h"

#include <gtest/gtest.h>

#include "store/sqlite/session_store.h"

namespace posthouse::auth {
namespace {

class WebSessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(*store::sqlite::Db::open(":memory:"));
    ASSERT_TRUE(db_->migrate().ok());
    store_ = std::make_unique<store::sqlite::SqliteSessionStore>(*db_);
  }
  std::unique_ptr<store::sqlite::Db> db_;
  std::unique_ptr<store::sqlite::SqliteSessionStore> store_;
};

TEST_F(WebSessionsTest, CreateLookupDestroy) {
  WebSessions ws(*store_);
  auto s = ws.create({"principal", 7}, "127.0.0.1", 1000);
  ASSERT_TRUE(s.ok());
  EXPECT_GE(s->id.size(), 40u);
  auto info = ws.lookup(s->id, 1010);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->subject, (SessionSubject{"principal", 7}));
  EXPECT_EQ(info->csrf, s->csrf);
  // The id itself is not stored.
  auto q = std::move(*db_->prepare("SELECT count(*) FROM web_sessions WHERE id_hash = ?"));
  q.bind(1, s->id);
  ASSERT_TRUE(*q.step());
  EXPECT_EQ(q.col_int(0), 0);
  ASSERT_TRUE(ws.destroy(s->id).ok());
  EXPECT_EQ(ws.lookup(s->id, 1020).error().code, base::Errc::kUnauthenticated);
}

TEST_F(WebSessionsTest, IdleAndAbsoluteExpiry) {
  WebSessions ws(*store_, SessionOptions{1000, 100});
  auto s = *ws.create({"mailbox", 1}, "::1", 0);
  EXPECT_TRUE(ws.lookup(s.id, 90).ok());
  EXPECT_FALSE(ws.lookup(s.id, 300).ok());  // idle
  auto s2 = *ws.create({"mailbox", 1}, "::1", 0);
  for (int t = 60; t < 1000; t += 60) ASSERT_TRUE(ws.lookup(s2.id, t).ok()) << t;
  EXPECT_FALSE(ws.lookup(s2.id, 1000).ok());  // absolute lifetime
}

TEST_F(WebSessionsTest, DestroySubjectEndsAllItsSessions) {
  WebSessions ws(*store_);
  auto a = *ws.create({"principal", 1}, "ip", 0);
  auto b = *ws.create({"principal", 1}, "ip", 0);
  auto c = *ws.create({"principal", 2}, "ip", 0);
  ASSERT_TRUE(ws.destroy_subject({"principal", 1}).ok());
  EXPECT_FALSE(ws.lookup(a.id, 1).ok());
  EXPECT_FALSE(ws.lookup(b.id, 1).ok());
  EXPECT_TRUE(ws.lookup(c.id, 1).ok());
  EXPECT_FALSE(ws.lookup("", 1).ok());
  EXPECT_FALSE(ws.lookup(std::string(1000, 'a'), 1).ok());
}

TEST(Secrets, HashAndCompare) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(secret_equal("abc", "abc"));
  EXPECT_FALSE(secret_equal("abc", "abd"));
  EXPECT_FALSE(secret_equal("abc", "ab"));
}

}  // namespace
}  // namespace posthouse::auth
