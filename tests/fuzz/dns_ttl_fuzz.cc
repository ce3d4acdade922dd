// libFuzzer target: the TTLs of a raw DNS reply (net/dns_ttl.h parse_dns_ttls), what a hostile
// or broken resolver path sends the answer cache. Oracles (besides reading only the input's
// bytes): TTLs are below 2^31 (RFC 2181); a negative TTL only with an authority section and an
// answer TTL only with an answer section; the bytes after the parsed sections are never read,
// so the input with bytes appended parses the same; dns_answer_ttl agrees with the parse for
// every status; parse_dns_answer (net/ares_dns.h) gives each type's answer that TTL.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include "net/ares_dns.h"
#include "net/dns_ttl.h"

using namespace posthouse;

namespace {

bool same(const std::optional<net::DnsTtls>& a, const std::optional<net::DnsTtls>& b) {
  if (!a || !b) return !a && !b;
  return a->answer == b->answer && a->negative == b->negative;
}

uint16_t count(const uint8_t* data, std::size_t at) {
  return static_cast<uint16_t>((data[at] << 8) | data[at + 1]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto t = net::parse_dns_ttls(data, size);
  if (t) {
    if (size < 12) std::abort();
    if (t->answer && (*t->answer > 0x7fffffffu || count(data, 6) == 0)) std::abort();
    if (t->negative && (*t->negative > 0x7fffffffu || count(data, 8) == 0)) std::abort();
    std::vector<uint8_t> longer(data, data + size);
    longer.insert(longer.end(), {0xc0, 0x00, 0xff, 0x3f});
    if (!same(t, net::parse_dns_ttls(longer.data(), longer.size()))) std::abort();
  }
  for (auto status : {net::DnsStatus::kOk, net::DnsStatus::kNxDomain, net::DnsStatus::kNoData,
                      net::DnsStatus::kTemporary}) {
    uint32_t ttl = net::dns_answer_ttl(data, size, status);
    uint32_t want = 0;
    if (t && status == net::DnsStatus::kOk) want = t->answer.value_or(0);
    if (t && (status == net::DnsStatus::kNxDomain || status == net::DnsStatus::kNoData))
      want = t->negative.value_or(0);
    if (ttl != want) std::abort();
  }
  for (auto type : {net::DnsType::kA, net::DnsType::kTxt}) {
    net::DnsAnswer a = net::parse_dns_answer(data, static_cast<int>(size), type);
    if (a.ttl != net::dns_answer_ttl(data, size, a.status)) std::abort();
  }
  return 0;
}
