#include "net/dns.h"

namespace posthouse::net {

std::string_view dns_type_name(DnsType t) {
  switch (t) {
    case DnsType::kA: return "A";
    case DnsType::kAaaa: return "AAAA";
    case DnsType::kMx: return "MX";
    case DnsType::kTxt: return "TXT";
    case DnsType::kPtr: return "PTR";
  }
  return "?";
}

}  // namespace posthouse::net
