#include "net/rate.h"

#include <gtest/gtest.h>

namespace posthouse::net {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucket, BurstThenRate) {
  auto t = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket b(2, 3, t);
  EXPECT_TRUE(b.take(t));
  EXPECT_TRUE(b.take(t));
  EXPECT_TRUE(b.take(t));
  EXPECT_FALSE(b.take(t));
  EXPECT_FALSE(b.take(t + 400ms));  // 0.8 token
  EXPECT_TRUE(b.take(t + 500ms));   // 1 token
  EXPECT_FALSE(b.take(t + 500ms));
  // Refill never exceeds the burst.
  t += 1h;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.take(t));
  EXPECT_FALSE(b.take(t));
}

TEST(TokenBucket, ZeroRateIsUnlimited) {
  auto t = TokenBucket::Clock::time_point{};
  TokenBucket b(0, 1, t);
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(b.take(t));
}

}  // namespace
}  // namespace posthouse::net
