#include "net/dns_cache.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "base/strings.h"

namespace posthouse::net {

namespace {

constexpr std::size_t kMaxNameBytes = 253;
// What an entry costs besides its strings: list and map nodes, the answer, a record's string.
constexpr std::size_t kEntryOverhead = 160;
constexpr std::size_t kRecordOverhead = sizeof(std::string);

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string_view without_trailing_dots(std::string_view name) {
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

// One byte of type, then the name: no separator to be confused with the name's bytes.
std::string cache_key(std::string_view name, DnsType type) {
  std::string key(1, static_cast<char>('0' + static_cast<int>(type)));
  key += base::to_lower(name);
  return key;
}

// Seconds to keep `a` for; 0 = not at all.
uint32_t keep_seconds(const DnsAnswer& a) {
  switch (a.status) {
    case DnsStatus::kOk:
      return std::min(a.ttl, CachingDnsLookup::kMaxTtl);
    case DnsStatus::kNxDomain:
    case DnsStatus::kNoData:
      return a.ttl == 0 ? CachingDnsLookup::kDefaultNegativeTtl
                        : std::min(a.ttl, CachingDnsLookup::kMaxTtl);
    case DnsStatus::kTemporary:
      return 0;
  }
  return 0;
}

std::size_t cost(const std::string& key, const DnsAnswer& a) {
  std::size_t n = kEntryOverhead + key.size() + a.error.size();
  for (const auto& r : a.records) n += kRecordOverhead + r.size();
  return n;
}

}  // namespace

struct CachingDnsLookup::State {
  struct Entry {
    std::string key;
    DnsAnswer answer;
    double expires = 0;
    std::size_t bytes = 0;
  };
  // The query of a key in flight: its leader fills `answer` and sets `done` under `mu`.
  struct Flight {
    bool done = false;
    DnsAnswer answer;
    std::condition_variable cv;
  };

  std::size_t max_entries;
  std::size_t max_bytes;
  Clock clock;

  std::mutex mu;
  std::list<Entry> lru;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights;
  std::size_t bytes = 0;

  void erase(std::list<Entry>::iterator it) {
    bytes -= it->bytes;
    index.erase(it->key);
    lru.erase(it);
  }

  // Under `mu`.
  void insert(const std::string& key, const DnsAnswer& a, double now) {
    uint32_t keep = keep_seconds(a);
    if (keep == 0) return;
    std::size_t size = cost(key, a);
    if (size > max_bytes) return;
    if (auto it = index.find(key); it != index.end()) erase(it->second);
    lru.push_front(Entry{key, a, now + keep, size});
    index.emplace(key, lru.begin());
    bytes += size;
    while (lru.size() > max_entries || bytes > max_bytes) erase(std::prev(lru.end()));
  }

  // Under `mu`: the kept answer of `key` with its seconds left, or nullopt (an expired one is
  // dropped).
  std::optional<DnsAnswer> find(const std::string& key, double now) {
    auto it = index.find(key);
    if (it == index.end()) return std::nullopt;
    auto entry = it->second;
    if (now >= entry->expires) {
      erase(entry);
      return std::nullopt;
    }
    lru.splice(lru.begin(), lru, entry);
    DnsAnswer a = entry->answer;
    a.ttl = static_cast<uint32_t>(std::ceil(entry->expires - now));
    return a;
  }

  // Under `mu`: ends the flight of `key` with `a` and wakes its waiters.
  void land(const std::string& key, const std::shared_ptr<Flight>& f, const DnsAnswer& a) {
    f->answer = a;
    f->done = true;
    flights.erase(key);
    f->cv.notify_all();
  }
};

CachingDnsLookup::CachingDnsLookup(std::unique_ptr<DnsLookup> inner, std::size_t max_entries,
                                   Clock clock, std::size_t max_bytes)
    : inner_(std::move(inner)), state_(std::make_unique<State>()) {
  state_->max_entries = max_entries;
  state_->max_bytes = max_bytes;
  state_->clock = clock ? std::move(clock) : Clock(steady_seconds);
}

CachingDnsLookup::~CachingDnsLookup() = default;

std::size_t CachingDnsLookup::size() const {
  std::lock_guard lock(state_->mu);
  return state_->lru.size();
}

DnsAnswer CachingDnsLookup::lookup(std::string_view name, DnsType type) const {
  State& s = *state_;
  std::string_view bare = without_trailing_dots(name);
  if (s.max_entries == 0 || bare.size() > kMaxNameBytes) {
    ++misses_;
    return inner_->lookup(name, type);
  }
  std::string key = cache_key(bare, type);
  std::shared_ptr<State::Flight> flight;
  {
    std::unique_lock lock(s.mu);
    if (auto kept = s.find(key, s.clock())) {
      ++hits_;
      return std::move(*kept);
    }
    if (auto it = s.flights.find(key); it != s.flights.end()) {
      ++hits_;
      auto waiting = it->second;  // the leader erases it from `flights` when it lands
      waiting->cv.wait(lock, [&] { return waiting->done; });
      return waiting->answer;
    }
    flight = std::make_shared<State::Flight>();
    s.flights.emplace(key, flight);
  }
  ++misses_;
  DnsAnswer a;
  try {
    a = inner_->lookup(name, type);
  } catch (...) {
    std::lock_guard lock(s.mu);
    s.land(key, flight, DnsAnswer{DnsStatus::kTemporary, {}, "DNS lookup failed", 0});
    throw;
  }
  std::lock_guard lock(s.mu);
  s.insert(key, a, s.clock());
  s.land(key, flight, a);
  return a;
}

}  // namespace posthouse::net
