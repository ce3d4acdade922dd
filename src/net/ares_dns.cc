#include "net/ares_dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <fmt/format.h>
#include <netdb.h>

#include <algorithm>
#include <type_traits>

#include "base/strings.h"
#include "net/dns_ttl.h"

namespace posthouse::net {

namespace {

std::string normalize(std::string_view name) {
  std::string s = base::to_lower(name);
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

DnsAnswer temporary(int status) {
  DnsAnswer a;
  a.status = DnsStatus::kTemporary;
  a.error = ares_strerror(status);
  return a;
}

// ARES_ENODATA from a parser: the answer holds no record of the type.
DnsAnswer parse_failure(int rc) {
  if (rc == ARES_ENODATA) return DnsAnswer{DnsStatus::kNoData, {}, {}};
  return temporary(rc);
}

DnsAnswer parse_txt(const unsigned char* abuf, int len) {
  ares_txt_ext* txt = nullptr;
  int rc = ares_parse_txt_reply_ext(abuf, len, &txt);
  if (rc != ARES_SUCCESS) return parse_failure(rc);
  DnsAnswer a{DnsStatus::kOk, {}, {}};
  bool dropped = false;
  bool skipping = false;  // the current record is over kMaxTxtBytes
  for (ares_txt_ext* p = txt; p; p = p->next) {
    if (p->record_start || p == txt) {
      if (a.records.size() >= kMaxDnsRecords) break;
      a.records.emplace_back();
      skipping = false;
    }
    if (skipping) continue;
    if (a.records.back().size() + p->length > kMaxTxtBytes) {
      a.records.pop_back();
      dropped = skipping = true;
      continue;
    }
    a.records.back().append(reinterpret_cast<const char*>(p->txt), p->length);
  }
  ares_free_data(txt);
  if (a.records.empty()) {
    a.status = dropped ? DnsStatus::kTemporary : DnsStatus::kNoData;
    if (dropped) a.error = "TXT records over the size limit";
  }
  return a;
}

template <class Ttl>
DnsAnswer parse_addresses(const unsigned char* abuf, int len) {
  constexpr bool v6 = std::is_same_v<Ttl, ares_addr6ttl>;
  Ttl ttls[kMaxDnsRecords];
  int n = static_cast<int>(kMaxDnsRecords);
  int rc = 0;
  if constexpr (v6) {
    rc = ares_parse_aaaa_reply(abuf, len, nullptr, ttls, &n);
  } else {
    rc = ares_parse_a_reply(abuf, len, nullptr, ttls, &n);
  }
  if (rc != ARES_SUCCESS) return parse_failure(rc);
  DnsAnswer a{DnsStatus::kOk, {}, {}};
  for (int i = 0; i < n; ++i) {
    char buf[INET6_ADDRSTRLEN] = {};
    if constexpr (v6) {
      inet_ntop(AF_INET6, &ttls[i].ip6addr, buf, sizeof buf);
    } else {
      inet_ntop(AF_INET, &ttls[i].ipaddr, buf, sizeof buf);
    }
    a.records.emplace_back(buf);
  }
  return a;
}

DnsAnswer parse_mx(const unsigned char* abuf, int len) {
  ares_mx_reply* mx = nullptr;
  int rc = ares_parse_mx_reply(abuf, len, &mx);
  if (rc != ARES_SUCCESS) return parse_failure(rc);
  std::vector<std::pair<int, std::string>> hosts;
  for (ares_mx_reply* p = mx; p && hosts.size() < kMaxDnsRecords; p = p->next) {
    hosts.emplace_back(p->priority, normalize(p->host ? p->host : ""));
  }
  ares_free_data(mx);
  std::stable_sort(hosts.begin(), hosts.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  DnsAnswer a{DnsStatus::kOk, {}, {}};
  for (auto& h : hosts) a.records.push_back(std::move(h.second));
  return a;
}

DnsAnswer parse_ptr(const unsigned char* abuf, int len) {
  hostent* host = nullptr;
  unsigned char addr[4] = {};
  int rc = ares_parse_ptr_reply(abuf, len, addr, sizeof addr, AF_INET, &host);
  if (rc != ARES_SUCCESS) return parse_failure(rc);
  DnsAnswer a{DnsStatus::kOk, {}, {}};
  auto add = [&](const char* n) {
    std::string s = normalize(n ? n : "");
    if (!s.empty() && a.records.size() < kMaxDnsRecords &&
        std::find(a.records.begin(), a.records.end(), s) == a.records.end()) {
      a.records.push_back(std::move(s));
    }
  };
  add(host->h_name);
  for (char** p = host->h_aliases; p && *p; ++p) add(*p);
  ares_free_hostent(host);
  if (a.records.empty()) a.status = DnsStatus::kNoData;
  return a;
}

struct QueryResult {
  DnsType type = DnsType::kA;
  DnsAnswer answer = temporary(ARES_ETIMEOUT);
};

void on_answer(void* arg, int status, int, unsigned char* abuf, int alen) {
  auto* res = static_cast<QueryResult*>(arg);
  if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
    // c-ares passes the reply along with NXDOMAIN and NOERROR-without-answers: its SOA tells
    // how long the negative answer holds.
    res->answer.status = status == ARES_ENOTFOUND ? DnsStatus::kNxDomain : DnsStatus::kNoData;
    res->answer.error.clear();
    if (abuf && alen > 0) {
      res->answer.ttl = dns_answer_ttl(abuf, static_cast<std::size_t>(alen), res->answer.status);
    }
  } else if (status != ARES_SUCCESS) {
    res->answer = temporary(status);
  } else {
    res->answer = parse_dns_answer(abuf, alen, res->type);
  }
}

int wire_type(DnsType t) {
  switch (t) {
    case DnsType::kA: return ns_t_a;
    case DnsType::kAaaa: return ns_t_aaaa;
    case DnsType::kMx: return ns_t_mx;
    case DnsType::kTxt: return ns_t_txt;
    case DnsType::kPtr: return ns_t_ptr;
  }
  return ns_t_a;
}

}  // namespace

DnsAnswer parse_dns_answer(const unsigned char* answer, int len, DnsType type) {
  DnsAnswer a;
  switch (type) {
    case DnsType::kTxt: a = parse_txt(answer, len); break;
    case DnsType::kA: a = parse_addresses<ares_addrttl>(answer, len); break;
    case DnsType::kAaaa: a = parse_addresses<ares_addr6ttl>(answer, len); break;
    case DnsType::kMx: a = parse_mx(answer, len); break;
    case DnsType::kPtr: a = parse_ptr(answer, len); break;
  }
  if (a.status == DnsStatus::kOk && a.records.empty()) a.status = DnsStatus::kNoData;
  if (answer && len > 0) a.ttl = dns_answer_ttl(answer, static_cast<std::size_t>(len), a.status);
  return a;
}

DnsAnswer AresDnsLookup::lookup(std::string_view name, DnsType type) const {
  std::string n(name);
  while (!n.empty() && n.back() == '.') n.pop_back();
  if (n.empty() || n.size() > 253 || n.find('\0') != std::string::npos) {
    return DnsAnswer{DnsStatus::kNxDomain, {}, {}};
  }
  AresChannel ch;
  if (auto st = ch.open(opts_); !st) return DnsAnswer{DnsStatus::kTemporary, {}, st.error().message};
  QueryResult res;
  res.type = type;
  ares_query(ch.get(), n.c_str(), ns_c_in, wire_type(type), on_answer, &res);
  ch.run();
  return res.answer;
}

}  // namespace posthouse::net
