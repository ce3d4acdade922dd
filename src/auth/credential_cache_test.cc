#include "auth/credential_cache.h"

#include <gtest/gtest.h>

namespace posthouse::auth {
namespace {

using namespace std::chrono_literals;
using Clock = CredentialCache::Clock;

TEST(CredentialCache, HitAfterInsertOnlyForTheSamePasswordAndHash) {
  CredentialCache c({300s, 10});
  auto t = Clock::time_point{} + 1h;
  auto k = c.key("Bob@Example.test", "secret-1");
  EXPECT_EQ(k, c.key("bob@example.test", "secret-1"));  // address case folded
  EXPECT_NE(k, c.key("bob@example.test", "secret-2"));
  EXPECT_NE(c.key("ab", "c"), c.key("a", "bc"));
  EXPECT_FALSE(c.lookup(k, 7, "$argon2id$h1", t));
  c.insert(k, 7, "$argon2id$h1", t);
  EXPECT_TRUE(c.lookup(k, 7, "$argon2id$h1", t + 10s));
  // A wrong password is another key: never a hit.
  EXPECT_FALSE(c.lookup(c.key("bob@example.test", "wrong"), 7, "$argon2id$h1", t));
  // Another principal with the same key material does not match.
  EXPECT_FALSE(c.lookup(k, 8, "$argon2id$h1", t));
}

TEST(CredentialCache, TtlExpiry) {
  CredentialCache c({60s, 10});
  auto t = Clock::time_point{} + 1h;
  auto k = c.key("bob@example.test", "secret-1");
  c.insert(k, 7, "h", t);
  EXPECT_TRUE(c.lookup(k, 7, "h", t + 59s));
  EXPECT_FALSE(c.lookup(k, 7, "h", t + 60s));
  EXPECT_EQ(c.size(), 0u);  // dropped on expiry
}

TEST(CredentialCache, ChangedStoredHashMissesAndForgetDrops) {
  CredentialCache c({300s, 10});
  auto t = Clock::time_point{} + 1h;
  auto k = c.key("bob@example.test", "old-password");
  c.insert(k, 7, "hash-of-old", t);
  // The password was changed elsewhere (another process): the row's hash differs.
  EXPECT_FALSE(c.lookup(k, 7, "hash-of-new", t));
  EXPECT_EQ(c.size(), 0u);
  c.insert(k, 7, "hash-of-old", t);
  c.insert(c.key("other@example.test", "p"), 9, "h9", t);
  c.forget_principal(7);
  EXPECT_FALSE(c.lookup(k, 7, "hash-of-old", t));
  EXPECT_EQ(c.size(), 1u);
}

TEST(CredentialCache, BoundedOldestFirstAndDisabledByZeroTtl) {
  CredentialCache c({300s, 3});
  auto t = Clock::time_point{} + 1h;
  for (int i = 0; i < 5; ++i) c.insert(c.key("u@x", std::to_string(i)), i, "h", t);
  EXPECT_EQ(c.size(), 3u);
  EXPECT_FALSE(c.lookup(c.key("u@x", "0"), 0, "h", t));
  EXPECT_TRUE(c.lookup(c.key("u@x", "4"), 4, "h", t));
  CredentialCache off({0s, 3});
  EXPECT_FALSE(off.enabled());
  off.insert(off.key("u@x", "p"), 1, "h", t);
  EXPECT_FALSE(off.lookup(off.key("u@x", "p"), 1, "h", t));
}

}  // namespace
}  // namespace posthouse::auth
