// Tests only: DNS messages built by hand (RFC 1035 section 4), for the parsers of raw replies
// (net/ares_dns.h, net/dns_ttl.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace posthouse::net::testing {

inline std::string u16(int v) {
  return {static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)};
}

inline std::string u32(uint32_t v) {
  return u16(static_cast<int>(v >> 16)) + u16(static_cast<int>(v & 0xffff));
}

inline std::string wire_name(std::string_view name) {
  std::string out;
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    out += static_cast<char>(dot - start);
    out += name.substr(start, dot - start);
    start = dot + 1;
  }
  out += '\0';
  return out;
}

inline constexpr int kQuestionName = 0xc00c;  // a pointer to the question's name

// A resource record named by a pointer to the question's name.
inline std::string record(int type, uint32_t ttl, const std::string& rdata) {
  return u16(kQuestionName) + u16(type) + u16(1) + u32(ttl) + u16(static_cast<int>(rdata.size())) +
         rdata;
}

// SOA RDATA (RFC 1035 section 3.3.13) with compressed names and the given MINIMUM.
inline std::string soa_rdata(uint32_t minimum) {
  return u16(kQuestionName) + u16(kQuestionName) + u32(2024010101) + u32(7200) + u32(3600) +
         u32(1209600) + u32(minimum);
}

// A reply (`rcode` 0 NOERROR, 3 NXDOMAIN) to "<qname> <type>" with the given answer and
// authority records (from record()).
inline std::string message(std::string_view qname, int type,
                           const std::vector<std::string>& answers,
                           const std::vector<std::string>& authority = {}, int rcode = 0) {
  std::string out = u16(0x1234) + u16(0x8180 | rcode) + u16(1) +
                    u16(static_cast<int>(answers.size())) +
                    u16(static_cast<int>(authority.size())) + u16(0);
  out += wire_name(qname) + u16(type) + u16(1);
  for (const auto& rr : answers) out += rr;
  for (const auto& rr : authority) out += rr;
  return out;
}

// A NOERROR reply holding `rdatas` as answers of `type`, TTL 3600.
inline std::string response(std::string_view qname, int type,
                            const std::vector<std::string>& rdatas) {
  std::vector<std::string> rrs;
  for (const auto& rd : rdatas) rrs.push_back(record(type, 3600, rd));
  return message(qname, type, rrs);
}

}  // namespace posthouse::net::testing
