// A DnsLookup (net/dns.h) that keeps answers of another for their TTL: c-ares 1.18 has no cache,
// and one message's checks (SPF includes, DKIM keys, DMARC, DNS lists) and the next message
// from the same sender ask the same names again.
//
// Contract:
// - Owns the inner lookup; lookup() is blocking as the inner's is (call it on the blocking pool).
// - Keyed by (name lower-cased without trailing dots, type). Names over 253 bytes pass through.
// - kOk answers are kept for their ttl, capped at kMaxTtl; one of ttl 0 (unknown) is not kept.
//   kNxDomain and kNoData are kept for their ttl (RFC 2308's SOA value) capped at kMaxTtl, or
//   kDefaultNegativeTtl when it is 0. kTemporary is never kept. A kept answer comes back with
//   ttl = the seconds it has left.
// - Bounded: at most max_entries answers (0 = no cache, every lookup goes to the inner) and
//   about max_bytes of them; the least recently used go first.
// - Single-flight: a lookup of a key whose query is in flight waits for that query's answer
//   (whatever it is, kTemporary included) instead of sending its own, so it waits no longer
//   than the inner lookup's own timeouts. The inner lookup must not call back into this cache.
// - hits(): lookups answered without a query of their own (kept, or shared in flight);
//   misses(): lookups that went to the inner lookup.
// - Thread-safe: one mutex, never held while the inner lookup runs.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "net/dns.h"

namespace posthouse::net {

class CachingDnsLookup final : public DnsLookup {
 public:
  using Clock = std::function<double()>;  // monotonic seconds

  static constexpr uint32_t kMaxTtl = 3600;
  static constexpr uint32_t kDefaultNegativeTtl = 300;
  static constexpr std::size_t kDefaultMaxBytes = std::size_t{64} << 20;

  // `clock` defaults to std::chrono::steady_clock.
  CachingDnsLookup(std::unique_ptr<DnsLookup> inner, std::size_t max_entries, Clock clock = {},
                   std::size_t max_bytes = kDefaultMaxBytes);
  ~CachingDnsLookup() override;
  CachingDnsLookup(const CachingDnsLookup&) = delete;
  CachingDnsLookup& operator=(const CachingDnsLookup&) = delete;

  DnsAnswer lookup(std::string_view name, DnsType type) const override;

  int64_t hits() const { return hits_.load(); }
  int64_t misses() const { return misses_.load(); }
  std::size_t size() const;  // answers kept, expired ones not yet evicted included

 private:
  struct State;

  std::unique_ptr<DnsLookup> inner_;
  std::unique_ptr<State> state_;
  mutable std::atomic<int64_t> hits_{0};
  mutable std::atomic<int64_t> misses_{0};
};

}  // namespace posthouse::net
