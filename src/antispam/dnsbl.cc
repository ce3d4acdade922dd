#include "antispam/dnsbl.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace posthouse::antispam {

namespace {

constexpr uint32_t kLoopback = 0x7f000000;  // 127.0.0.0

constexpr uint32_t v4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

// 127.255.255.0/24: the list refused the query (Spamhaus 127.255.255.252 typo in the query,
// .254 query through a public resolver, .255 too many queries).
bool refused(uint32_t a) { return (a >> 8) == (v4(127, 255, 255, 0) >> 8); }

// A domain as a list can be asked about it: letters, digits, '-' and '_' in non-empty labels
// of at most 63 octets, at least two labels, not an address (a bare "192.0.2.1" HELO), lower
// case.
std::optional<std::string> list_domain(std::string_view domain) {
  std::string d = base::to_lower(domain);
  if (!d.empty() && d.back() == '.') d.pop_back();
  if (d.empty() || d.find('.') == std::string::npos || IpAddress::parse(d)) return std::nullopt;
  std::size_t label = 0;
  for (char c : d) {
    if (c == '.') {
      if (label == 0) return std::nullopt;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63) return std::nullopt;
  }
  if (label == 0) return std::nullopt;
  return d;
}

}  // namespace

const std::vector<CodeRange>& default_codes(bool allow) {
  static const std::vector<CodeRange> kBlock = {{v4(127, 0, 0, 2), v4(127, 0, 0, 254)}};
  static const std::vector<CodeRange> kAllow = {{v4(127, 0, 1, 0), v4(127, 0, 255, 254)}};
  return allow ? kAllow : kBlock;
}

std::string query_name(const IpAddress& ip, std::string_view zone) {
  std::string r = ip.reverse_name();
  r.resize(r.size() - (ip.v6 ? std::string_view("ip6.arpa") : "in-addr.arpa").size());
  return r + std::string(zone);
}

std::optional<std::string> query_name(std::string_view domain, std::string_view zone) {
  auto d = list_domain(domain);
  if (!d) return std::nullopt;
  std::string name = *d + "." + std::string(zone);
  if (name.size() > 253) return std::nullopt;
  return name;
}

ListAnswer interpret(const DnsList& list, const net::DnsAnswer& answer) {
  switch (answer.status) {
    case net::DnsStatus::kNxDomain:
    case net::DnsStatus::kNoData:
      return {};
    case net::DnsStatus::kTemporary:
      return {ListResult::kTempError, "",
              answer.error.empty() ? std::string("DNS failure") : answer.error};
    case net::DnsStatus::kOk:
      break;
  }
  const auto& codes = list.codes.empty() ? default_codes(list.allow) : list.codes;
  ListAnswer out;
  std::vector<std::string> other;
  for (const auto& r : answer.records) {
    auto ip = IpAddress::parse(r);
    if (!ip || ip->v6) {
      other.push_back("not an IPv4 address");
      continue;
    }
    uint32_t a = v4(ip->bytes[0], ip->bytes[1], ip->bytes[2], ip->bytes[3]);
    if (refused(a)) {
      return {ListResult::kTempError, "", fmt::format("the list refused the query ({})", r)};
    }
    bool counts = false;
    for (const auto& c : codes) counts = counts || c.contains(a);
    if (counts && out.code.empty()) {
      out.result = ListResult::kListed;
      out.code = ip->to_string();
    } else if (!counts) {
      other.push_back(ip->to_string() +
                      ((a >> 24) == (kLoopback >> 24) ? "" : " (outside 127.0.0.0/8)"));
    }
  }
  if (!other.empty()) {
    out.detail = "answers outside the list's codes: ";
    for (std::size_t i = 0; i < other.size(); ++i) out.detail += (i ? ", " : "") + other[i];
  }
  if (out.result == ListResult::kListed) out.detail.clear();
  return out;
}

const ListHit* ListFindings::blocked() const {
  for (const auto& h : hits)
    if (!h.allow && h.answer.result == ListResult::kListed) return &h;
  return nullptr;
}

const ListHit* ListFindings::allowed() const {
  for (const auto& h : hits)
    if (h.allow && h.answer.result == ListResult::kListed) return &h;
  return nullptr;
}

int ListFindings::temperrors() const {
  int n = 0;
  for (const auto& h : hits) n += h.answer.result == ListResult::kTempError;
  return n;
}

void ListFindings::append(ListFindings other) {
  for (auto& h : other.hits) hits.push_back(std::move(h));
  queries += other.queries;
}

namespace {

// Asks every list of one type about `subject`; a list whose query name cannot be made (too
// long with that zone) is skipped.
template <class NameOf>
ListFindings ask(const std::vector<DnsList>& lists, const net::DnsLookup& dns, bool domain,
                 const std::string& subject, std::string_view role, NameOf name_of) {
  ListFindings f;
  for (const auto& l : lists) {
    if (l.domain != domain) continue;
    std::optional<std::string> name = name_of(l.zone);
    if (!name) continue;
    auto a = interpret(l, dns.lookup(*name, net::DnsType::kA));
    ++f.queries;
    if (a.result == ListResult::kNotListed && a.detail.empty()) continue;
    f.hits.push_back(ListHit{l.zone, l.allow, subject, std::string(role), std::move(a)});
  }
  return f;
}

}  // namespace

ListFindings check_client(const std::vector<DnsList>& lists, const net::DnsLookup& dns,
                          std::string_view client_ip) {
  auto ip = IpAddress::parse(client_ip);
  if (!ip) return {};
  return ask(
      lists, dns, false, ip->to_string(), "Client host",
      [&](const std::string& zone) -> std::optional<std::string> { return query_name(*ip, zone); });
}

ListFindings check_domain(const std::vector<DnsList>& lists, const net::DnsLookup& dns,
                          std::string_view domain, std::string_view role) {
  auto d = list_domain(domain);
  if (!d) return {};
  return ask(lists, dns, true, *d, role,
             [&](const std::string& zone) { return query_name(*d, zone); });
}

std::string refusal_text(const ListHit& hit) {
  bool ip = hit.role == "Client host";
  return fmt::format("{} {}{}{} is listed by {} ({})", hit.role, ip ? "[" : "", hit.subject,
                     ip ? "]" : "", hit.zone, hit.answer.code);
}

std::string dnswl_result_text(const ListHit& hit) {
  switch (hit.answer.result) {
    case ListResult::kListed:
      return fmt::format("dnswl=pass dns.zone={} policy.ip={}", hit.zone, hit.answer.code);
    case ListResult::kTempError:
      return fmt::format("dnswl=temperror dns.zone={}", hit.zone);
    case ListResult::kNotListed:
      break;
  }
  return {};
}

}  // namespace posthouse::antispam
