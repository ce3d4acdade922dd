// The DNS records a hosted domain needs (MX, SPF, DKIM, DMARC, autoconfig SRV of RFC 6186),
// for `posthouse domain dns` and GET /api/v1/domains/{name}/dns. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "queue/dkim.h"

namespace posthouse::queue {

struct DnsRecord {
  std::string name;   // fully qualified, with the trailing dot
  std::string type;   // MX, TXT, SRV
  std::string value;  // presentation form without quotes for TXT
  std::string zone_line() const;  // "name 3600 IN TYPE value" (TXT split in 255-byte strings)
};

std::vector<DnsRecord> domain_dns_records(std::string_view domain, std::string_view hostname,
                                          const std::vector<DkimKey>& keys);

}  // namespace posthouse::queue
