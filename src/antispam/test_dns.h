// A DnsLookup that answers from data, for the SPF tests (the openspf.org suite's zone format,
// tests/suites/spf_suite_to_json.py): per lower-case name an ordered list of entries
// {type, value}; "TIMEOUT" makes a query for a type with no record before it time out; a CNAME
// is followed (a loop is a temporary failure). Counts queries, for limit tests.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "net/dns.h"

namespace posthouse::antispam::testing {

struct ZoneEntry {
  std::string type;   // "A", "AAAA", "MX", "TXT", "PTR", "CNAME", "TIMEOUT"
  std::string value;  // TXT: the strings joined
};

class FakeDns : public net::DnsLookup {
 public:
  void add(const std::string& name, std::string type, std::string value = {}) {
    zone_[key(name)].push_back(ZoneEntry{std::move(type), std::move(value)});
  }
  // Registers the name with no records (NOERROR, no data for every type).
  void touch(const std::string& name) { zone_[key(name)]; }

  net::DnsAnswer lookup(std::string_view name, net::DnsType type) const override {
    ++queries;
    return find(std::string(name), std::string(net::dns_type_name(type)), 0);
  }

  mutable int queries = 0;

 private:
  static std::string key(std::string name) {
    while (!name.empty() && name.back() == '.') name.pop_back();
    return base::to_lower(name);
  }

  net::DnsAnswer find(const std::string& name, const std::string& type, int depth) const {
    auto it = zone_.find(key(name));
    if (it == zone_.end()) return net::DnsAnswer{net::DnsStatus::kNxDomain, {}, {}};
    net::DnsAnswer a{net::DnsStatus::kOk, {}, {}};
    std::string cname;
    for (const auto& e : it->second) {
      if (e.type == "TIMEOUT") {
        if (a.records.empty()) return net::DnsAnswer{net::DnsStatus::kTemporary, {}, "timeout"};
        break;
      }
      if (e.type == type) a.records.push_back(type == "TXT" ? e.value : key(e.value));
      if (e.type == "CNAME") cname = e.value;
    }
    if (a.records.empty() && !cname.empty()) {
      if (depth >= 8) return net::DnsAnswer{net::DnsStatus::kTemporary, {}, "CNAME loop"};
      return find(cname, type, depth + 1);
    }
    if (a.records.empty()) a.status = net::DnsStatus::kNoData;
    return a;
  }

  std::map<std::string, std::vector<ZoneEntry>> zone_;
};

}  // namespace posthouse::antispam::testing
