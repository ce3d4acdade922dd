#include "auth/throttle.h"

#include <gtest/gtest.h>

namespace posthouse::auth {
namespace {

using namespace std::chrono_literals;
using Clock = LoginThrottle::Clock;

TEST(LoginThrottle, DelaysGrowThenLock) {
  LoginThrottle t;
  auto now = Clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(t.check("1.2.3.4", "bob@x", now).delay, 0ms);
    t.record_failure("1.2.3.4", "bob@x", now);
  }
  EXPECT_EQ(t.check("1.2.3.4", "bob@x", now).delay, 0ms);
  t.record_failure("1.2.3.4", "bob@x", now);
  EXPECT_EQ(t.check("1.2.3.4", "bob@x", now).delay, 250ms);
  t.record_failure("1.2.3.4", "bob@x", now);
  EXPECT_EQ(t.check("1.2.3.4", "bob@x", now).delay, 500ms);
  for (int i = 0; i < 5; ++i) t.record_failure("1.2.3.4", "bob@x", now);
  auto d = t.check("1.2.3.4", "bob@x", now);
  EXPECT_TRUE(d.locked);
  EXPECT_EQ(d.retry_after, 300s);
  // The lock holds for the account from another address too, and for the address with
  // another account.
  EXPECT_TRUE(t.check("5.6.7.8", "BOB@X", now).locked);
  EXPECT_TRUE(t.check("1.2.3.4", "alice@x", now).locked);
  EXPECT_FALSE(t.check("5.6.7.8", "alice@x", now).locked);
  // It expires.
  EXPECT_FALSE(t.check("1.2.3.4", "bob@x", now + 301s).locked);
}

TEST(LoginThrottle, DelayIsCapped) {
  LoginThrottle::Options o;
  o.lock_after = 1000;
  LoginThrottle t(o);
  auto now = Clock::time_point{} + 1h;
  for (int i = 0; i < 100; ++i) t.record_failure("ip", "acct", now);
  EXPECT_EQ(t.check("ip", "acct", now).delay, 8000ms);
}

TEST(LoginThrottle, SuccessClearsAccountNotIp) {
  LoginThrottle t;
  auto now = Clock::time_point{} + 1h;
  for (int i = 0; i < 5; ++i) t.record_failure("ip", "acct", now);
  t.record_success("ip", "acct", now);
  EXPECT_GT(t.check("ip", "other", now).delay, 0ms);
  EXPECT_EQ(t.check("ip2", "acct", now).delay, 0ms);
}

TEST(LoginThrottle, WindowForgetsAndMemoryIsBounded) {
  LoginThrottle::Options o;
  o.max_entries = 10;
  LoginThrottle t(o);
  auto now = Clock::time_point{} + 1h;
  for (int i = 0; i < 5; ++i) t.record_failure("ip", "acct", now);
  EXPECT_EQ(t.check("ip", "acct", now + 901s).delay, 0ms);
  for (int i = 0; i < 50; ++i) t.record_failure("ip" + std::to_string(i), "", now);
  EXPECT_LE(t.entries(), 10u);
  // Old entries are swept to make room for new ones.
  for (int i = 0; i < 5; ++i) t.record_failure("fresh", "", now + 2000s);
  EXPECT_GT(t.check("fresh", "", now + 2000s).delay, 0ms);
}

}  // namespace
}  // namespace posthouse::auth
