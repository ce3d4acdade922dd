// libFuzzer target: MX answers from DNS (queue/resolver.h parse_mx_answer, c-ares' parser plus
// ours), what a hostile or broken resolver path can send the outbound queue. Oracles: success
// or a c-ares error code, never both; at most kMaxMxRecords hosts; every name lower case,
// without a trailing dot, and printable ASCII (c-ares escapes other bytes), so it is safe in
// logs, queue errors and bounces. The same bytes as an answer of each type to the antispam
// checks (net/ares_dns.h parse_dns_answer): records exactly when kOk; at most kMaxDnsRecords
// records; TXT records of at most kMaxTxtBytes.
#include <ares.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "net/ares_dns.h"
#include "queue/resolver.h"

using namespace posthouse;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (auto type : {net::DnsType::kA, net::DnsType::kAaaa, net::DnsType::kMx, net::DnsType::kTxt,
                    net::DnsType::kPtr}) {
    net::DnsAnswer a = net::parse_dns_answer(data, static_cast<int>(size), type);
    if ((a.status == net::DnsStatus::kOk) == a.records.empty()) std::abort();
    if (a.records.size() > net::kMaxDnsRecords) std::abort();
    for (const auto& r : a.records) {
      if (type == net::DnsType::kTxt && r.size() > net::kMaxTxtBytes) std::abort();
    }
  }
  std::vector<queue::MxHost> hosts;
  int rc = queue::parse_mx_answer(data, static_cast<int>(size), hosts);
  if (rc != ARES_SUCCESS) {
    if (!hosts.empty()) std::abort();
    return 0;
  }
  if (hosts.size() > queue::kMaxMxRecords) std::abort();
  for (const auto& h : hosts) {
    if (!h.name.empty() && h.name.back() == '.') std::abort();
    if (h.preference < 0 || h.preference > 65535) std::abort();
    for (char c : h.name) {
      if (c >= 'A' && c <= 'Z') std::abort();
      if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
        std::abort();
    }
  }
  return 0;
}
