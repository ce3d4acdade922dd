#include "delivery/greylist.h"

#include <gtest/gtest.h>

#include "store/sqlite/db.h"
#include "store/sqlite/greylist_store.h"

namespace posthouse::delivery {
namespace {

TEST(GreylistNetwork, Slash24AndSlash64) {
  EXPECT_EQ(greylist_network("192.0.2.77"), "192.0.2.0/24");
  EXPECT_EQ(greylist_network("::ffff:198.51.100.9"), "198.51.100.0/24") << "IPv4-mapped";
  EXPECT_EQ(greylist_network("2001:db8:1:2:a:b:c:d"), "2001:db8:1:2::/64");
  EXPECT_EQ(greylist_network("2001:db8:1:3::1"), "2001:db8:1:3::/64");
  EXPECT_EQ(greylist_network("not-an-ip"), "");
  EXPECT_EQ(greylist_network(""), "");
}

class GreylistTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(*store::sqlite::Db::open(":memory:"));
    ASSERT_TRUE(db_->migrate().ok());
    store_ = std::make_unique<store::sqlite::SqliteGreylistStore>(*db_);
  }
  GreylistOutcome check(const GreylistRequest& r, int64_t now) {
    auto o = g_.check(*store_, r, now);
    EXPECT_TRUE(o.ok()) << o.error().message;
    return o.ok() ? *o : GreylistOutcome{};
  }
  static GreylistRequest req(std::string ip, std::string sender, std::vector<std::string> rcpts) {
    GreylistRequest r;
    r.client_ip = std::move(ip);
    r.sender = std::move(sender);
    r.recipients = std::move(rcpts);
    return r;
  }

  std::unique_ptr<store::sqlite::Db> db_;
  std::unique_ptr<store::sqlite::SqliteGreylistStore> store_;
  Greylist g_{GreylistSettings{.delay = 300, .retry_window = 3600, .allow_for = 86400}};
};

TEST_F(GreylistTest, FirstTryDeferredRetryAfterTheDelayPasses) {
  auto r = req("192.0.2.10", "a@remote.test", {"u@local.test"});
  auto first = check(r, 10000);
  EXPECT_TRUE(first.defer);
  EXPECT_EQ(first.why, "Greylisted: please try again in 300 seconds");
  auto early = check(r, 10100);
  EXPECT_TRUE(early.defer) << "too early";
  EXPECT_EQ(early.why, "Greylisted: please try again in 200 seconds");
  // From another address of the same /24, as big senders retry.
  auto retry = check(req("192.0.2.200", "A@Remote.TEST", {"U@local.test"}), 10300);
  EXPECT_FALSE(retry.defer) << retry.why;
  EXPECT_EQ(retry.why, "retried after the delay");
}

TEST_F(GreylistTest, AnyNewRecipientDefersAndAPassAllowsTheNetworkAndSenderDomain) {
  EXPECT_TRUE(check(req("192.0.2.10", "a@remote.test", {"u@local.test"}), 1000).defer);
  // u is old enough, v is new: the message waits for v.
  auto mixed = check(req("192.0.2.10", "a@remote.test", {"u@local.test", "v@local.test"}), 1400);
  EXPECT_TRUE(mixed.defer);
  EXPECT_EQ(mixed.why, "Greylisted: please try again in 300 seconds");
  EXPECT_FALSE(check(req("192.0.2.10", "a@remote.test", {"u@local.test", "v@local.test"}), 1700)
                   .defer);
  // Now the network is let through for that sender domain: any sender and recipient.
  auto allowed = check(req("192.0.2.99", "b@remote.test", {"w@local.test"}), 1701);
  EXPECT_FALSE(allowed.defer);
  EXPECT_EQ(allowed.why, "network allowed after an earlier retry");
  EXPECT_TRUE(check(req("192.0.2.99", "b@other.test", {"w@local.test"}), 1701).defer)
      << "another sender domain";
  EXPECT_TRUE(check(req("198.51.100.1", "b@remote.test", {"w@local.test"}), 1701).defer)
      << "another network";
  EXPECT_TRUE(check(req("192.0.2.99", "b@remote.test", {"w@local.test"}), 1700 + 86400).defer)
      << "the allowance has run out";
}

TEST_F(GreylistTest, ARetryTooLateStartsOver) {
  auto r = req("2001:db8::1", "a@remote.test", {"u@local.test"});
  EXPECT_TRUE(check(r, 1000).defer);
  auto late = check(r, 1000 + 300 + 3600 + 1);
  EXPECT_TRUE(late.defer);
  EXPECT_EQ(late.why, "Greylisted: please try again in 300 seconds");
  EXPECT_TRUE(check(r, 4901 + 299).defer) << "the delay counts from the restart";
  EXPECT_FALSE(check(req("2001:db8::ffff", "a@remote.test", {"u@local.test"}), 4901 + 300).defer)
      << "same /64";
}

TEST_F(GreylistTest, DnswlAndAVerifiedDomainWithAGoodHistorySkipIt) {
  auto listed = req("203.0.113.5", "x@big.test", {"u@local.test"});
  listed.dnswl = true;
  auto o = check(listed, 1000);
  EXPECT_FALSE(o.defer);
  EXPECT_EQ(o.why, "client on a DNS allow list");

  // A verified domain with no history is greylisted like anyone...
  auto verified = req("203.0.113.5", "x@big.test", {"u@local.test"});
  verified.verified_domain = "big.test";
  EXPECT_TRUE(check(verified, 2000).defer);
  EXPECT_FALSE(check(verified, 2300).defer);
  // ...and once it passed, it passes from any network.
  auto elsewhere = req("198.51.100.7", "y@big.test", {"v@local.test"});
  elsewhere.verified_domain = "BIG.test";
  o = check(elsewhere, 2400);
  EXPECT_FALSE(o.defer);
  EXPECT_EQ(o.why, "verified sender domain with a good history");
  // Unverified, the same sender from that network is greylisted.
  EXPECT_TRUE(check(req("198.51.100.7", "y@big.test", {"v@local.test"}), 2400).defer);
}

TEST_F(GreylistTest, NullSenderIsATripletToo) {
  auto r = req("192.0.2.1", "", {"u@local.test"});
  EXPECT_TRUE(check(r, 1000).defer);
  EXPECT_FALSE(check(r, 1300).defer);
}

TEST(GreylistZeroDelay, TheFirstTryIsStillDeferred) {
  auto db = std::move(*store::sqlite::Db::open(":memory:"));
  ASSERT_TRUE(db->migrate().ok());
  store::sqlite::SqliteGreylistStore store(*db);
  Greylist g(GreylistSettings{.delay = 0, .retry_window = 60, .allow_for = 60});
  GreylistRequest r;
  r.client_ip = "192.0.2.1";
  r.sender = "a@r.test";
  r.recipients = {"u@l.test"};
  auto first = g.check(store, r, 1000);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->defer);
  EXPECT_EQ(first->why, "Greylisted: please try again in 1 second");
  auto second = g.check(store, r, 1000);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->defer) << "an immediate retry passes when the delay is 0";
}

}  // namespace
}  // namespace posthouse::delivery
