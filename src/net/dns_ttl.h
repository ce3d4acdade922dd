// The TTLs of a raw DNS message (RFC 1035 section 4): c-ares 1.18 reports TTLs for A and AAAA
// answers only, and none for negative answers, so the answer cache (net/dns_cache.h) reads them
// from the message itself.
//
// Contract:
// - Pure and bounds-checked: the message is the peer's bytes (hostile or truncated); nothing is
//   read outside [msg, msg + len). Names are skipped, never followed: a compression pointer ends
//   a name, and one that does not point before itself (a loop) makes the message malformed.
// - A TTL with the top bit set counts as 0 (RFC 2181 section 8).
// - Only the header, the question, answer and authority sections are read; what follows (the
//   additional section, trailing bytes) does not change the result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "net/dns.h"

namespace posthouse::net {

struct DnsTtls {
  // The smallest TTL of the answer section's records (a CNAME chain's included); none when the
  // section is empty.
  std::optional<uint32_t> answer;
  // RFC 2308 section 5: the smaller of the TTL and the MINIMUM field of the authority
  // section's first SOA record; none without one.
  std::optional<uint32_t> negative;
};

// nullopt when the message is malformed: shorter than its header, a section or a record runs
// past the end, a label type other than 00 and 11, a name over 255 bytes, a pointer that does
// not point back, or a SOA whose RDATA is not two names and five numbers.
std::optional<DnsTtls> parse_dns_ttls(const unsigned char* msg, std::size_t len);

// The TTL a DnsAnswer (net/dns.h) of `status` gets from its message: the answer TTL for kOk,
// the negative TTL for kNxDomain and kNoData, 0 (unknown) for kTemporary, a malformed message
// or a TTL the message does not hold.
uint32_t dns_answer_ttl(const unsigned char* msg, std::size_t len, DnsStatus status);

}  // namespace posthouse::net
