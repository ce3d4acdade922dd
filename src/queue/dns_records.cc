#include "queue/dns_records.h"

#include <fmt/format.h>

namespace posthouse::queue {

std::string DnsRecord::zone_line() const {
  std::string v = value;
  if (type == "TXT") {
    v.clear();
    for (std::size_t i = 0; i < value.size(); i += 255) {
      if (!v.empty()) v += ' ';
      v += '"' + value.substr(i, 255) + '"';
    }
  }
  return fmt::format("{} 3600 IN {} {}", name, type, v);
}

std::vector<DnsRecord> domain_dns_records(std::string_view domain, std::string_view hostname,
                                          const std::vector<DkimKey>& keys) {
  std::string d = fmt::format("{}.", domain);
  std::string h = fmt::format("{}.", hostname);
  std::vector<DnsRecord> out;
  out.push_back({d, "MX", fmt::format("10 {}", h)});
  out.push_back({d, "TXT", "v=spf1 mx -all"});
  for (const auto& k : keys) {
    out.push_back({fmt::format("{}._domainkey.{}", k.selector, d), "TXT", k.dns_txt()});
  }
  out.push_back({fmt::format("_dmarc.{}", d), "TXT",
                 fmt::format("v=DMARC1; p=quarantine; rua=mailto:postmaster@{}", domain)});
  out.push_back({fmt::format("_submission._tcp.{}", d), "SRV", fmt::format("0 1 587 {}", h)});
  out.push_back({fmt::format("_submissions._tcp.{}", d), "SRV", fmt::format("0 1 465 {}", h)});
  out.push_back({fmt::format("_imaps._tcp.{}", d), "SRV", fmt::format("0 1 993 {}", h)});
  out.push_back({fmt::format("_pop3s._tcp.{}", d), "SRV", fmt::format("0 1 995 {}", h)});
  return out;
}

}  // namespace posthouse::queue
