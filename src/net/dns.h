// DNS lookups as the sender checks need them (SPF, DKIM keys, DMARC, DNSBL): one query, one
// answer, with the three outcomes RFC 7208 section 5 and RFC 2308 tell apart (records, the name
// does not exist, the name has no record of that type) and a temporary failure.
//
// Contract:
// - DnsLookup is the seam: checks take a `const DnsLookup&`, tests pass a fake that answers
//   from data (tests/suites), production passes AresDnsLookup (net/ares_dns.h).
// - kOk always comes with at least one record; an empty answer is kNoData.
// - Records are text: A/AAAA numeric addresses; MX exchange names by preference ("" for the
//   null MX); PTR names; TXT one entry per record with its character-strings joined (RFC 7208
//   section 3.3). Names are lower case without the trailing dot.
// - ttl: how many seconds the answer may be kept (net/dns_cache.h): for kOk the smallest TTL of
//   the answer's records, for kNxDomain and kNoData the negative TTL of RFC 2308 section 5 (the
//   authority SOA's TTL or MINIMUM, the smaller); 0 when unknown (no TTL in the reply, a fake,
//   kTemporary). A cache keeps no kOk answer of TTL 0 and gives a negative one of TTL 0 a
//   default; a SOA whose negative TTL is 0 is thus read as unknown.
// - Implementations are thread-safe for concurrent lookups.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace posthouse::net {

enum class DnsType { kA, kAaaa, kMx, kTxt, kPtr };
enum class DnsStatus { kOk, kNxDomain, kNoData, kTemporary };

std::string_view dns_type_name(DnsType t);  // "A", "AAAA", ...

struct DnsAnswer {
  DnsStatus status = DnsStatus::kTemporary;
  std::vector<std::string> records;
  std::string error;  // kTemporary: what went wrong (no secret, for logs)
  uint32_t ttl = 0;   // seconds; 0 = unknown (see above)
};

class DnsLookup {
 public:
  virtual ~DnsLookup() = default;
  virtual DnsAnswer lookup(std::string_view name, DnsType type) const = 0;
};

}  // namespace posthouse::net
