// DnsLookup (net/dns.h) over c-ares: one blocking query per lookup on a channel of its own.
//
// Contract:
// - Blocking: call on a thread of the blocking pool, never on an I/O thread.
// - NXDOMAIN is kNxDomain, NOERROR without records of the type kNoData; timeouts, SERVFAIL,
//   REFUSED, unreachable servers and malformed answers are kTemporary.
// - Bounded: at most kMaxDnsRecords records per answer; names that DNS cannot carry (over 253
//   bytes, NUL) are answered kNxDomain without a query.
// - ttl (net/dns.h) from the reply's own records (net/dns_ttl.h): c-ares 1.18 keeps no cache,
//   net/dns_cache.h does.
// - Thread-safe.
#pragma once

#include "net/ares_channel.h"
#include "net/dns.h"

namespace posthouse::net {

inline constexpr std::size_t kMaxDnsRecords = 64;
// A TXT record (its strings joined) longer than this is dropped; an answer left with none is
// kTemporary (RFC 7208 and RFC 6376 records are far shorter).
inline constexpr std::size_t kMaxTxtBytes = 8192;

// The records of type `type` in a raw DNS answer (the peer's bytes): pure, fuzzable. Returns
// kOk, kNoData (no record of the type) or kTemporary (malformed).
DnsAnswer parse_dns_answer(const unsigned char* answer, int len, DnsType type);

class AresDnsLookup : public DnsLookup {
 public:
  explicit AresDnsLookup(DnsOptions o) : opts_(std::move(o)) {}
  DnsAnswer lookup(std::string_view name, DnsType type) const override;

 private:
  DnsOptions opts_;
};

}  // namespace posthouse::net
