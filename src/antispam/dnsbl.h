// DNS lists (RFC 5782): block lists (DNSBL, and RHSBL for domains) and allow lists (DNSWL) of
// client addresses and of domains, as the MX consults them ([[antispam.dnsbl]],
// docs/antispam.md).
//
// Contract:
// - A list is asked with one A query for <reversed address or domain>.<zone>
//   (query_name()): IPv4 as reversed octets, IPv6 as 32 reversed nibbles, a domain as it is.
// - Only the list's codes mean "listed" (empty codes: default_codes() of its kind). An answer
//   holding no code of the list is "not listed", its addresses kept for the log. Any answer in
//   127.255.255.0/24 means the list refused the query (Spamhaus: query through a public
//   resolver, over the free quota, malformed query) and is a temperror whatever the codes say,
//   as is a temporary DNS failure: a temperror never refuses mail. NXDOMAIN and NODATA are "not
//   listed".
// - A name that cannot be queried (a HELO address literal, a domain without a dot, a name over
//   253 octets or with an empty label) is not asked: "not listed", no query.
// - check_client() / check_domain() ask every list of the matching type in order, one query
//   each; blocking as the DnsLookup is (with net::AresDnsLookup run them on a pool thread).
//   Pure otherwise; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "antispam/ip_address.h"
#include "net/dns.h"

namespace posthouse::antispam {

// An inclusive range of IPv4 answers, in host byte order.
struct CodeRange {
  uint32_t first = 0;
  uint32_t last = 0;
  bool contains(uint32_t a) const { return a >= first && a <= last; }
};

struct DnsList {
  std::string zone;     // lower case, no trailing dot
  bool domain = false;  // RHSBL: HELO and MAIL FROM domains; else the client's address
  bool allow = false;   // DNSWL: a listing is recorded; else a block list: a listing refuses
  std::vector<CodeRange> codes;  // empty: default_codes(allow)
};

// Block lists: 127.0.0.2-127.0.0.254 (RFC 5782 2.1: 127.0.0.2 is every list's test entry and
// most lists answer in 127.0.0.0/24; 127.0.0.1 is never a listing). Allow lists:
// 127.0.1.0-127.0.255.254 (list.dnswl.org answers 127.0.<category>.<trust>, categories from 2;
// 127.0.0.255 is its refusal).
const std::vector<CodeRange>& default_codes(bool allow);

// The A query for `ip` or `domain` in `zone`; nullopt when the domain cannot be asked.
std::string query_name(const IpAddress& ip, std::string_view zone);
std::optional<std::string> query_name(std::string_view domain, std::string_view zone);

enum class ListResult { kNotListed, kListed, kTempError };

struct ListAnswer {
  ListResult result = ListResult::kNotListed;
  std::string code;    // kListed: the first answer within the codes
  std::string detail;  // kNotListed: answers outside the codes, if any; kTempError: why
};

// What a list's answer means (the contract above).
ListAnswer interpret(const DnsList& list, const net::DnsAnswer& answer);

// One list's answer about one thing.
struct ListHit {
  std::string zone;
  bool allow = false;   // the list is an allow list
  std::string subject;  // what was looked up: "192.0.2.1" or "helo.example"
  std::string role;     // "Client host", "HELO name", "Sender domain"
  ListAnswer answer;
};

// Every answer that is not a plain "not listed" (listings, temperrors, ignored codes).
struct ListFindings {
  std::vector<ListHit> hits;
  int queries = 0;

  // The first block-list listing, or null.
  const ListHit* blocked() const;
  // The first allow-list listing, or null.
  const ListHit* allowed() const;
  int temperrors() const;
  void append(ListFindings other);
};

// The client's address on the IP lists; an unparsable address is not looked up.
ListFindings check_client(const std::vector<DnsList>& lists, const net::DnsLookup& dns,
                          std::string_view client_ip);
// A domain on the domain lists (RHSBL); `role` names it in the hits.
ListFindings check_domain(const std::vector<DnsList>& lists, const net::DnsLookup& dns,
                          std::string_view domain, std::string_view role);

// "Client host [192.0.2.1] is listed by zen.example (127.0.0.2)": a block listing's refusal.
std::string refusal_text(const ListHit& hit);
// RFC 8904's resinfo for an allow list's answer: "dnswl=pass dns.zone=list.example
// policy.ip=127.0.10.1", "dnswl=temperror dns.zone=list.example", "" when not listed.
std::string dnswl_result_text(const ListHit& hit);

}  // namespace posthouse::antispam
