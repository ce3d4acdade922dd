// The [antispam] table (docs/config.md): the sender checks, the content scanners, greylisting,
// ARC sealing, learning, and the DNS lists of [[antispam.dnsbl]].
#include <arpa/inet.h>
#include <netinet/in.h>

#include <optional>

#include "base/strings.h"
#include "config/section.h"

namespace posthouse::config::detail {
namespace {

// A DNS list's code: "127.0.0.2", a range "127.0.0.2-127.0.0.11" or a network "127.0.1.0/24",
// within 127.0.0.0/8 (RFC 5782 2.1) and outside 127.255.255.0/24 (the lists' refusals).
base::Result<std::pair<uint32_t, uint32_t>> parse_list_code(const std::string& text) {
  auto addr = [](const std::string& a) -> std::optional<uint32_t> {
    in_addr v{};
    if (inet_pton(AF_INET, a.c_str(), &v) != 1) return std::nullopt;
    return ntohl(v.s_addr);
  };
  std::optional<uint32_t> first, last;
  if (auto dash = text.find('-'); dash != std::string::npos) {
    first = addr(text.substr(0, dash));
    last = addr(text.substr(dash + 1));
  } else if (auto slash = text.find('/'); slash != std::string::npos) {
    first = addr(text.substr(0, slash));
    std::string len = text.substr(slash + 1);
    if (len.empty() || len.size() > 2 || len.find_first_not_of("0123456789") != len.npos ||
        std::stoi(len) < 8 || std::stoi(len) > 32 || !first)
      return Error(Errc::kInvalid,
                   fmt::format("\"{}\": expected a network like 127.0.1.0/24", text));
    uint32_t host = std::stoi(len) == 32 ? 0 : 0xffffffffu >> std::stoi(len);
    if (*first & host)
      return Error(Errc::kInvalid, fmt::format("\"{}\": host bits set in a network", text));
    last = *first | host;
  } else {
    first = last = addr(text);
  }
  if (!first || !last)
    return Error(
        Errc::kInvalid,
        fmt::format("\"{}\": expected an IPv4 address, a range a-b or a network a/n", text));
  if (*first > *last)
    return Error(Errc::kInvalid, fmt::format("\"{}\": the range ends before it starts", text));
  if ((*first >> 24) != 127 || (*last >> 24) != 127)
    return Error(Errc::kInvalid, fmt::format("\"{}\": list codes are in 127.0.0.0/8", text));
  if ((*last >> 8) == 0x7fffff)
    return Error(Errc::kInvalid,
                 fmt::format("\"{}\": 127.255.255.0/24 means the list refused the query, never a "
                             "listing",
                             text));
  return std::make_pair(*first, *last);
}

// One [[antispam.dnsbl]] table.
base::Status read_dns_list(Section& s, DnsList& o) {
  PH_CHECK(s.get_string("zone", o.zone));
  o.zone = base::to_lower(o.zone);
  while (!o.zone.empty() && o.zone.back() == '.') o.zone.pop_back();
  bool ldh = !o.zone.empty() && o.zone.size() <= 200 && o.zone.front() != '.' &&
             o.zone.find("..") == std::string::npos &&
             o.zone.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.") == o.zone.npos;
  if (!ldh) return s.err(s.at("zone"), "zone", "expected a DNS zone like \"zen.spamhaus.org\"");
  std::string type = "ip", list = "block";
  PH_CHECK(s.get_choice("type", type, {"ip", "domain"}));
  PH_CHECK(s.get_choice("list", list, {"block", "allow"}));
  o.domain = type == "domain";
  o.allow = list == "allow";
  std::vector<std::string> codes;
  PH_CHECK(s.get_strings("codes", codes));
  if (s.at("codes") && codes.empty()) return s.err(s.at("codes"), "codes", "must not be empty");
  for (const auto& c : codes) {
    auto r = parse_list_code(c);
    if (!r) return s.err(s.at("codes"), "codes", r.error().message);
    o.codes.push_back(*r);
  }
  return {};
}

// [[antispam.dnsbl]]: an array of tables, each a DNS list.
base::Status read_dns_lists(Section& s, std::vector<DnsList>& out) {
  auto n = s.get("dnsbl");
  if (!n) return {};
  if (!n->is_array_of_tables())
    return s.err(n, "dnsbl", "expected [[antispam.dnsbl]] tables (zone, type, list, codes)");
  int i = 0;
  for (auto& e : *n->as_array()) {
    Section t(e.as_table(), fmt::format("antispam.dnsbl[{}]", ++i), s.file());
    if (!e.as_table()->contains("zone")) return t.err(&e, "zone", "missing: the list's DNS zone");
    DnsList l;
    PH_CHECK(read_dns_list(t, l));
    PH_CHECK(t.finish());
    out.push_back(std::move(l));
  }
  return {};
}

}  // namespace

base::Status read_antispam(Section& s, Antispam& o) {
  PH_CHECK(read_dns_lists(s, o.dnsbl));
  PH_CHECK(s.get_bool("checks", o.checks));
  PH_CHECK(s.get_string("authserv_id", o.authserv_id));
  PH_CHECK(s.get_int("dns_timeout_ms", o.dns_timeout_ms, 100, 30000));
  PH_CHECK(s.get_int("threads", o.threads, 1, 256));
  PH_CHECK(s.get_string("clamd", o.clamd));
  PH_CHECK(s.get_string("rspamd", o.rspamd));
  PH_CHECK(s.get_int("daemon_timeout_ms", o.daemon_timeout_ms, 100, 600000));
  PH_CHECK(s.get_bool("fail_open", o.fail_open));
  PH_CHECK(s.get_choice("virus_action", o.virus_action, {"reject", "junk"}));
  PH_CHECK(s.get_int("dns_cache_entries", o.dns_cache_entries, 0, 10000000));
  PH_CHECK(s.get_int("greylist_delay_seconds", o.greylist_delay_seconds, 0, 86400));
  PH_CHECK(s.get_int("greylist_window_hours", o.greylist_window_hours, 1, 24 * 30));
  PH_CHECK(s.get_int("greylist_allow_days", o.greylist_allow_days, 1, 366));
  PH_CHECK(s.get_bool("arc_seal", o.arc_seal));
  PH_CHECK(s.get_string("rspamd_controller", o.rspamd_controller));
  PH_CHECK(s.get_string("rspamd_password_file", o.rspamd_password_file));
  return s.get_string("public_suffix_file", o.public_suffix_file);
}

}  // namespace posthouse::config::detail
