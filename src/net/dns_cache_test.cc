#include "net/dns_cache.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

namespace posthouse::net {
namespace {

// Answers from a table (exact names), counting the queries per (name, type); a name in `hold`
// blocks its query until release().
class FakeDns : public DnsLookup {
 public:
  void set(const std::string& name, DnsType type, DnsAnswer a) {
    std::lock_guard lock(mu_);
    answers_[{name, type}] = std::move(a);
  }

  int calls(const std::string& name, DnsType type = DnsType::kTxt) const {
    std::lock_guard lock(mu_);
    auto it = calls_.find({name, type});
    return it == calls_.end() ? 0 : it->second;
  }

  void hold(const std::string& name) {
    std::lock_guard lock(mu_);
    held_ = name;
  }
  void wait_entered() const {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return entered_; });
  }
  void release() const {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

  DnsAnswer lookup(std::string_view name, DnsType type) const override {
    std::unique_lock lock(mu_);
    std::string n(name);
    ++calls_[{n, type}];
    if (n == "throws.example") throw std::runtime_error("inner failed");
    if (n == held_) {
      entered_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return released_; });
    }
    auto it = answers_.find({n, type});
    return it == answers_.end() ? DnsAnswer{DnsStatus::kNxDomain, {}, {}, 0} : it->second;
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::map<std::pair<std::string, DnsType>, DnsAnswer> answers_;
  mutable std::map<std::pair<std::string, DnsType>, int> calls_;
  std::string held_;
  mutable bool entered_ = false;
  mutable bool released_ = false;
};

DnsAnswer ok(std::string record, uint32_t ttl) {
  return DnsAnswer{DnsStatus::kOk, {std::move(record)}, {}, ttl};
}

struct DnsCacheTest : ::testing::Test {
  DnsCacheTest() { resize(100); }
  void resize(std::size_t entries, std::size_t bytes = CachingDnsLookup::kDefaultMaxBytes) {
    auto f = std::make_unique<FakeDns>();
    fake = f.get();
    cache = std::make_unique<CachingDnsLookup>(
        std::move(f), entries, [this] { return now; }, bytes);
  }
  DnsAnswer ask(const std::string& name, DnsType type = DnsType::kTxt) {
    return cache->lookup(name, type);
  }
  // `name`, kept since `since`, is answered from the cache for `seconds`, then asked again.
  void expect_kept_for(const std::string& name, double since, double seconds) {
    int before = fake->calls(name);
    now = since + seconds - 1;
    ask(name);
    EXPECT_EQ(fake->calls(name), before) << name << " asked again before " << seconds << " s";
    now = since + seconds;
    ask(name);
    EXPECT_EQ(fake->calls(name), before + 1) << name << " still kept after " << seconds << " s";
  }

  double now = 1000;
  FakeDns* fake = nullptr;
  std::unique_ptr<CachingDnsLookup> cache;
};

TEST_F(DnsCacheTest, AnAnswerIsKeptForItsTtl) {
  fake->set("example.com", DnsType::kTxt, ok("v=spf1 -all", 60));
  EXPECT_EQ(ask("example.com").records, std::vector<std::string>{"v=spf1 -all"});
  now += 59.5;
  DnsAnswer a = ask("example.com");
  EXPECT_EQ(a.status, DnsStatus::kOk);
  EXPECT_EQ(a.records, std::vector<std::string>{"v=spf1 -all"});
  EXPECT_EQ(a.ttl, 1u);  // the seconds it has left
  EXPECT_EQ(fake->calls("example.com"), 1);
  EXPECT_EQ(cache->hits(), 1);
  EXPECT_EQ(cache->misses(), 1);
}

TEST_F(DnsCacheTest, AnExpiredAnswerIsAskedAgain) {
  fake->set("example.com", DnsType::kTxt, ok("old", 60));
  ask("example.com");
  fake->set("example.com", DnsType::kTxt, ok("new", 60));
  now += 60;
  EXPECT_EQ(ask("example.com").records, std::vector<std::string>{"new"});
  EXPECT_EQ(fake->calls("example.com"), 2);
  EXPECT_EQ(cache->hits(), 0);
  EXPECT_EQ(cache->misses(), 2);
}

TEST_F(DnsCacheTest, TtlsAreCappedAtAnHourAndZeroKeepsNothing) {
  fake->set("long.example", DnsType::kTxt, ok("x", 86400));
  fake->set("zero.example", DnsType::kTxt, ok("x", 0));
  double start = now;
  ask("long.example");
  ask("zero.example");
  ask("zero.example");
  EXPECT_EQ(fake->calls("zero.example"), 2);
  expect_kept_for("long.example", start, 3600);
}

TEST_F(DnsCacheTest, NegativeAnswersAreKeptForTheSoaTtlOrFiveMinutes) {
  fake->set("soa.example", DnsType::kTxt, DnsAnswer{DnsStatus::kNxDomain, {}, {}, 30});
  fake->set("nodata.example", DnsType::kTxt, DnsAnswer{DnsStatus::kNoData, {}, {}, 0});
  fake->set("huge.example", DnsType::kTxt, DnsAnswer{DnsStatus::kNoData, {}, {}, 7200});
  double start = now;
  for (const char* n : {"soa.example", "nodata.example", "huge.example"}) ask(n);
  now += 29;
  EXPECT_EQ(ask("soa.example").status, DnsStatus::kNxDomain);
  EXPECT_EQ(ask("nodata.example").status, DnsStatus::kNoData);
  EXPECT_EQ(cache->misses(), 3);
  expect_kept_for("soa.example", start, 30);
  expect_kept_for("nodata.example", start, CachingDnsLookup::kDefaultNegativeTtl);
  expect_kept_for("huge.example", start, CachingDnsLookup::kMaxTtl);
}

TEST_F(DnsCacheTest, TemporaryErrorsAreNotKept) {
  fake->set("flaky.example", DnsType::kTxt, DnsAnswer{DnsStatus::kTemporary, {}, "timeout", 0});
  EXPECT_EQ(ask("flaky.example").error, "timeout");
  fake->set("flaky.example", DnsType::kTxt, ok("back", 60));
  EXPECT_EQ(ask("flaky.example").records, std::vector<std::string>{"back"});
  EXPECT_EQ(fake->calls("flaky.example"), 2);
  EXPECT_EQ(cache->size(), 1u);
}

TEST_F(DnsCacheTest, TheLeastRecentlyUsedGoesAtTheBound) {
  resize(2);
  for (const char* n : {"a.example", "b.example", "c.example"}) {
    fake->set(n, DnsType::kTxt, ok(n, 600));
  }
  ask("a.example");
  ask("b.example");
  ask("a.example");  // b is now the least recently used
  ask("c.example");
  EXPECT_EQ(cache->size(), 2u);
  ask("a.example");
  ask("c.example");
  EXPECT_EQ(fake->calls("a.example"), 1);
  EXPECT_EQ(fake->calls("c.example"), 1);
  ask("b.example");
  EXPECT_EQ(fake->calls("b.example"), 2);
  EXPECT_EQ(cache->size(), 2u);
}

TEST_F(DnsCacheTest, TheByteBoundEvictsAndAnAnswerOverItIsNotKept) {
  resize(100, 1000);
  fake->set("big.example", DnsType::kTxt, ok(std::string(2000, 'x'), 600));
  fake->set("a.example", DnsType::kTxt, ok(std::string(400, 'a'), 600));
  fake->set("b.example", DnsType::kTxt, ok(std::string(400, 'b'), 600));
  ask("big.example");
  ask("big.example");
  EXPECT_EQ(fake->calls("big.example"), 2);
  ask("a.example");
  ask("b.example");  // a and b with their overhead are over 1000 bytes: a goes
  EXPECT_EQ(cache->size(), 1u);
  ask("b.example");
  EXPECT_EQ(fake->calls("b.example"), 1);
}

TEST_F(DnsCacheTest, KeysIgnoreCaseAndTheTrailingDotButNotTheType) {
  fake->set("Example.COM.", DnsType::kTxt, ok("txt", 600));
  fake->set("Example.COM.", DnsType::kA, ok("192.0.2.1", 600));
  EXPECT_EQ(ask("Example.COM.").records, std::vector<std::string>{"txt"});
  EXPECT_EQ(ask("example.com").records, std::vector<std::string>{"txt"});
  EXPECT_EQ(ask("EXAMPLE.com.").records, std::vector<std::string>{"txt"});
  EXPECT_EQ(fake->calls("Example.COM."), 1);
  EXPECT_EQ(ask("Example.COM.", DnsType::kA).records, std::vector<std::string>{"192.0.2.1"});
  EXPECT_EQ(fake->calls("Example.COM.", DnsType::kA), 1);
}

TEST_F(DnsCacheTest, ZeroEntriesPassEveryLookupThrough) {
  resize(0);
  fake->set("example.com", DnsType::kTxt, ok("x", 600));
  ask("example.com");
  ask("example.com");
  EXPECT_EQ(fake->calls("example.com"), 2);
  EXPECT_EQ(cache->size(), 0u);
  EXPECT_EQ(cache->misses(), 2);
}

TEST_F(DnsCacheTest, NamesDnsCannotCarryPassThrough) {
  std::string name(300, 'a');
  ask(name);
  ask(name);
  EXPECT_EQ(fake->calls(name), 2);
  EXPECT_EQ(cache->size(), 0u);
}

TEST_F(DnsCacheTest, ConcurrentLookupsOfOneKeyShareOneQuery) {
  // A temporary answer is never kept: the second lookup gets it only by sharing the flight.
  fake->set("slow.example", DnsType::kTxt, DnsAnswer{DnsStatus::kTemporary, {}, "timeout", 0});
  fake->hold("slow.example");
  DnsAnswer first, second;
  std::thread leader([&] { first = ask("slow.example"); });
  fake->wait_entered();
  std::thread follower([&] { second = ask("SLOW.example."); });
  while (cache->hits() == 0) std::this_thread::yield();  // the follower has joined the flight
  fake->release();
  leader.join();
  follower.join();
  EXPECT_EQ(fake->calls("slow.example"), 1);
  EXPECT_EQ(fake->calls("SLOW.example."), 0);
  EXPECT_EQ(first.error, "timeout");
  EXPECT_EQ(second.error, "timeout");
  EXPECT_EQ(cache->misses(), 1);
  // The flight is over: the next lookup asks again.
  ask("slow.example");
  EXPECT_EQ(fake->calls("slow.example"), 2);
}

TEST_F(DnsCacheTest, AThrowingInnerLookupEndsItsFlight) {
  EXPECT_THROW(ask("throws.example"), std::runtime_error);
  EXPECT_THROW(ask("throws.example"), std::runtime_error);
  EXPECT_EQ(fake->calls("throws.example"), 2);
}

}  // namespace
}  // namespace posthouse::net
