#include "antispam/message_auth.h"

#include <algorithm>

#include "antispam/auth_results.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "mime/dkim_canonical.h"
#include "mime/header.h"

namespace posthouse::antispam {

namespace {

constexpr std::size_t kMaxHeaderFields = 1000;

bool is_atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    if (c == '.' ? prev == '.' : !is_atext(c)) return false;
    prev = c;
  }
  return true;
}

// A domain as checks saw it: letters, digits, '-', '_' and '.' only, else nothing.
std::string safe_domain(std::string_view d) {
  std::string n = normalize_domain(d);
  for (char c : n) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return {};
  }
  return n;
}

// An address as an RFC 8601 pvalue: local-part@domain when the local part is a dot-atom,
// else the domain alone.
std::string pvalue_address(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos) return safe_domain(address);
  std::string domain = safe_domain(address.substr(at + 1));
  if (domain.empty()) return {};
  std::string_view local = address.substr(0, at);
  return is_dot_atom(local) ? fmt::format("{}@{}", local, domain) : domain;
}

// "(problem or explanation)" for a comment; printable ASCII, parentheses and backslashes
// escaped, at most 100 characters.
std::string comment(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (out.size() >= 100) break;
    if (c < 0x20 || c > 0x7e) c = '?';
    if (c == '(' || c == ')' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string spf_text(const SpfVerdict& v, std::string_view property, std::string_view value) {
  std::string out = fmt::format("spf={}", spf_result_name(v.result));
  if (!v.problem.empty()) out += fmt::format(" ({})", comment(v.problem));
  if (!value.empty()) out += fmt::format(" {}={}", property, value);
  return out;
}

}  // namespace

std::string verified_domain(const MessageAuth& a) {
  if (a.spf_mail_from.result == SpfResult::kPass) return base::to_lower(a.spf_mail_from.domain);
  for (const auto& d : a.dkim) {
    if (d.result == DkimResult::kPass) return base::to_lower(d.domain);
  }
  return {};
}

std::string single_from_domain(std::string_view message) {
  auto split = mime::dkim_split(message, kMaxHeaderFields);
  std::string domain;
  if (split.too_many_fields) return {};
  int froms = 0;
  for (const auto& f : split.fields) {
    if (!base::iequals(base::trim(f.name), "from")) continue;
    if (++froms > 1) return {};
    auto list = mime::parse_address_list(mime::unfold(f.value), 2);
    if (list.size() != 1 || list[0].kind != mime::Address::Kind::kMailbox || !list[0].host ||
        list[0].host->empty()) {
      return {};
    }
    domain = safe_domain(*list[0].host);
  }
  return domain;
}

MessageAuth authenticate_message(const net::DnsLookup& dns, const PublicSuffixList& psl,
                                 const MessageAuthInput& in, std::string_view message) {
  MessageAuth a;
  SpfRequest req;
  req.ip = in.client_ip;
  req.mail_from = in.mail_from;
  req.helo = in.helo;
  req.receiver = in.receiver.empty() ? "unknown" : in.receiver;
  req.timestamp = in.now;
  a.spf_helo = check_helo(dns, req);
  // The null sender's MAIL FROM identity is the HELO one (RFC 7208 2.4): checked once.
  a.spf_mail_from = in.mail_from.empty() ? a.spf_helo : check_mail_from(dns, req);
  a.dkim = dkim_verify(message, dns, in.now);
  a.arc = arc_verify(message, dns, in.now);
  a.from_domain = single_from_domain(message);
  if (a.from_domain.empty()) {
    a.dmarc.result = DmarcResult::kPermError;
    a.dmarc.problem = "no single From domain";
    return a;
  }
  DmarcInput d;
  d.from_domain = a.from_domain;
  d.spf_pass = a.spf_mail_from.result == SpfResult::kPass;
  auto at = in.mail_from.rfind('@');
  d.spf_domain = in.mail_from.empty() ? in.helo
                                      : in.mail_from.substr(at == std::string::npos ? 0 : at + 1);
  for (const auto& v : a.dkim) {
    if (v.result == DkimResult::kPass) d.dkim_pass_domains.push_back(v.domain);
  }
  d.sample = in.dmarc_sample;
  a.dmarc = dmarc_check(dns, psl, d);
  // RFC 8617 7.2.1: a trusted intermediary's word for DMARC as the message reached it.
  const auto* trusted = in.arc_trusted_sealers;
  if (a.dmarc.result == DmarcResult::kFail && a.arc.result == ArcResult::kPass && trusted &&
      std::find(trusted->begin(), trusted->end(), base::to_lower(a.arc.domain)) !=
          trusted->end() &&
      method_result(a.arc.latest_results, "dmarc") == "pass") {
    a.dmarc.disposition = DmarcPolicy::kNone;
    a.dmarc.override_reason = "arc=" + safe_domain(a.arc.domain);
  }
  return a;
}

namespace {

std::vector<std::string> resinfos(const MessageAuthInput& in, const MessageAuth& a) {
  std::vector<std::string> parts;
  std::string helo = safe_domain(in.helo);
  if (in.mail_from.empty()) {
    // RFC 7208 2.4: the null sender is checked as postmaster@<helo>.
    parts.push_back(spf_text(a.spf_mail_from, "smtp.helo", helo));
  } else {
    parts.push_back(spf_text(a.spf_mail_from, "smtp.mailfrom", pvalue_address(in.mail_from)));
    if (a.spf_helo.result != SpfResult::kNone) {
      parts.push_back(spf_text(a.spf_helo, "smtp.helo", helo));
    }
  }
  if (a.dkim.empty()) {
    parts.push_back("dkim=none");
  } else {
    for (const auto& v : a.dkim) parts.push_back(dkim_result_text(v));
  }
  if (a.arc.result != ArcResult::kNone) parts.push_back(arc_result_text(a.arc, in.client_ip));
  if (a.from_domain.empty()) {
    parts.push_back(fmt::format("dmarc=permerror ({})", comment(a.dmarc.problem)));
  } else {
    parts.push_back(dmarc_result_text(a.dmarc, a.from_domain));
  }
  return parts;
}

}  // namespace

std::string authentication_results_field(std::string_view authserv_id,
                                         const MessageAuthInput& in, const MessageAuth& a) {
  std::string out = fmt::format("Authentication-Results: {}", authserv_id);
  for (const auto& p : resinfos(in, a)) out += fmt::format(";\r\n\t{}", p);
  out += "\r\n";
  return out;
}

std::string authentication_results(const MessageAuthInput& in, const MessageAuth& a) {
  std::string out;
  for (const auto& p : resinfos(in, a)) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace posthouse::antispam
