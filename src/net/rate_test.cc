#include "net/rate.h"

#include <gtest/gtest.h>

namespace posthouse::net {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucket, ReserveNamesTheWaitAndNeverRefuses) {
  auto t = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket b(4, 2, t);  // 250 ms a token
  EXPECT_EQ(b.reserve(t), 0ms);
  EXPECT_EQ(b.reserve(t), 0ms);
  // Empty: the third is granted, after a quarter second.
  auto w = b.reserve(t);
  EXPECT_GE(w, 249ms);
  EXPECT_LE(w, 251ms);
  // A caller that waited that long finds the debt paid, and the next one waits again.
  t += w;
  w = b.reserve(t);
  EXPECT_GE(w, 249ms);
  EXPECT_LE(w, 251ms);
  // Sustained: 400 paced reserves take 100 s of waiting at 4/s, whatever the burst was.
  auto total = TokenBucket::Clock::duration::zero();
  t += w;
  for (int i = 0; i < 400; ++i) {
    auto d = b.reserve(t);
    total += d;
    t += d;
  }
  EXPECT_GE(total, 99s);
  EXPECT_LE(total, 101s);
  // A pause refills up to the burst and no further.
  t += 1h;
  EXPECT_EQ(b.reserve(t), 0ms);
  EXPECT_EQ(b.reserve(t), 0ms);
  EXPECT_GT(b.reserve(t), 0ms);
}

TEST(TokenBucket, ZeroRateIsUnlimited) {
  auto t = TokenBucket::Clock::time_point{};
  TokenBucket b(0, 1, t);
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(b.reserve(t), 0ms);
}

}  // namespace
}  // namespace posthouse::net
