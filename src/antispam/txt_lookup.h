// A net::DnsLookup that answers TXT queries from a map: the DKIM tests, the fuzz target and
// `posthouse dkim-verify --dns FILE` feed key records through it. Every other type is NOERROR
// without records (kNoData). The checks themselves see only net::DnsLookup (net/dns.h); in the
// server that is net::AresDnsLookup.
//
// Contract: names are compared without case and without a trailing dot; an unknown name is
// NXDOMAIN; a name given fail() answers kTemporary. Read-only after filling, so it may be
// shared between threads (the query counter is for single-threaded tests).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "net/dns.h"

namespace posthouse::antispam {

class MapTxtLookup : public net::DnsLookup {
 public:
  void add(std::string_view name, std::string record) {
    auto& a = answers_[key(name)];
    a.status = net::DnsStatus::kOk;
    a.records.push_back(std::move(record));
  }
  void fail(std::string_view name, std::string error) {
    answers_[key(name)] = net::DnsAnswer{net::DnsStatus::kTemporary, {}, std::move(error)};
  }
  net::DnsAnswer lookup(std::string_view name, net::DnsType type) const override {
    ++queries_;
    auto it = answers_.find(key(name));
    if (it == answers_.end()) return net::DnsAnswer{net::DnsStatus::kNxDomain, {}, {}};
    if (type != net::DnsType::kTxt && it->second.status == net::DnsStatus::kOk) {
      return net::DnsAnswer{net::DnsStatus::kNoData, {}, {}};
    }
    return it->second;
  }
  int queries() const { return queries_; }

 private:
  static std::string key(std::string_view name) {
    std::string k = base::to_lower(name);
    while (!k.empty() && k.back() == '.') k.pop_back();
    return k;
  }
  std::map<std::string, net::DnsAnswer> answers_;
  mutable int queries_ = 0;
};

}  // namespace posthouse::antispam
