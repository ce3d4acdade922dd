#include "antispam/spf_check.h"

#include <fmt/format.h>

#include <optional>
#include <vector>

#include "antispam/ip_address.h"
#include "antispam/spf_macro.h"
#include "antispam/spf_record.h"
#include "base/strings.h"

namespace posthouse::antispam {

using net::DnsStatus;
using net::DnsType;

namespace {

constexpr std::size_t kMaxDomain = 253;

// A name DNS can carry: 1..63-byte labels, at most 253 bytes (a trailing dot removed first).
bool valid_dns_name(std::string_view name, bool multi_label) {
  if (name.empty() || name.size() > kMaxDomain) return false;
  std::size_t labels = 0;
  for (auto label : base::split(name, '.')) {
    if (label.empty() || label.size() > 63) return false;
    ++labels;
  }
  return !multi_label || labels >= 2;
}

std::string_view strip_dot(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

// Section 4.8: an expanded name over 253 bytes loses labels from the left.
std::string truncate_left(std::string name) {
  while (name.size() > kMaxDomain) {
    std::size_t dot = name.find('.');
    if (dot == std::string::npos) return {};
    name.erase(0, dot + 1);
  }
  return name;
}

bool is_subdomain_of(std::string_view name, std::string_view domain) {
  if (base::iequals(name, domain)) return true;
  return name.size() > domain.size() && name[name.size() - domain.size() - 1] == '.' &&
         base::iequals(name.substr(name.size() - domain.size()), domain);
}

SpfResult qualifier_result(SpfQualifier q) {
  switch (q) {
    case SpfQualifier::kPass: return SpfResult::kPass;
    case SpfQualifier::kFail: return SpfResult::kFail;
    case SpfQualifier::kSoftfail: return SpfResult::kSoftfail;
    case SpfQualifier::kNeutral: return SpfResult::kNeutral;
  }
  return SpfResult::kNeutral;
}

struct Outcome {
  SpfResult result = SpfResult::kNone;
  std::string explanation;
  std::string problem;
};

enum class Match { kNo, kYes, kError };

class Evaluator {
 public:
  Evaluator(const net::DnsLookup& dns, const SpfRequest& req, IpAddress ip, std::string sender)
      : dns_(dns), req_(req), ip_(ip), sender_(std::move(sender)) {
    std::size_t at = sender_.rfind('@');
    local_ = at == std::string::npos ? "" : sender_.substr(0, at);
    sender_domain_ = at == std::string::npos ? sender_ : sender_.substr(at + 1);
    if (local_.empty()) local_ = "postmaster";
  }

  Outcome check(std::string domain, int depth);
  int lookups() const { return lookups_; }

 private:
  SpfMacroContext context(std::string_view domain) const;
  std::optional<std::string> expand_target(const std::string& spec, std::string_view domain);
  Match evaluate(const SpfMechanism& m, std::string_view domain, int depth);
  Match match_addresses(std::string_view name, const SpfMechanism& m, bool count_void);
  Match match_ptr(std::string_view target);
  std::vector<std::string> validated_names();
  std::string validated_name(std::string_view domain);
  std::string explain(const SpfRecord& r, std::string_view domain);
  bool charge();
  bool void_lookup();
  Match error(SpfResult r, std::string why) {
    error_ = Outcome{r, {}, std::move(why)};
    return Match::kError;
  }
  DnsType address_type() const { return ip_.v6 ? DnsType::kAaaa : DnsType::kA; }

  const net::DnsLookup& dns_;
  const SpfRequest& req_;
  IpAddress ip_;
  std::string sender_, local_, sender_domain_;
  int lookups_ = 0;
  int voids_ = 0;
  Outcome error_;
  std::optional<std::vector<std::string>> validated_;
};

bool Evaluator::charge() { return ++lookups_ <= req_.limits.dns_mechanisms; }
bool Evaluator::void_lookup() { return ++voids_ <= req_.limits.void_lookups; }

SpfMacroContext Evaluator::context(std::string_view domain) const {
  SpfMacroContext c;
  c.sender = sender_;
  c.local_part = local_;
  c.sender_domain = sender_domain_;
  c.domain = domain;
  c.ip = ip_;
  c.helo = req_.helo;
  c.receiver = req_.receiver;
  c.timestamp = req_.timestamp;
  return c;
}

// The target-name of a mechanism or modifier: the expanded domain-spec, or nullopt when the
// expansion yields no name DNS can carry (the mechanism then matches nothing). A macro error
// sets error_ (permerror).
std::optional<std::string> Evaluator::expand_target(const std::string& spec,
                                                    std::string_view domain) {
  if (spec.empty()) return std::string(domain);
  SpfMacroContext ctx = context(domain);
  std::string d(domain);
  ctx.validated_name = [this, d] { return validated_name(d); };
  auto name = expand_macros(spec, ctx, MacroMode::kDomainSpec);
  if (!name) {
    error_ = Outcome{SpfResult::kPermerror, {}, name.error().message};
    return std::nullopt;
  }
  std::string t = truncate_left(std::string(strip_dot(*name)));
  if (!valid_dns_name(t, false)) return std::string();
  return t;
}

Match Evaluator::match_addresses(std::string_view name, const SpfMechanism& m, bool count_void) {
  net::DnsAnswer a = dns_.lookup(name, address_type());
  if (a.status == DnsStatus::kTemporary) {
    return error(SpfResult::kTemperror, fmt::format("DNS {} of {}: {}",
                                                    net::dns_type_name(address_type()), name, a.error));
  }
  if (a.status != DnsStatus::kOk) {
    if (count_void && !void_lookup()) {
      return error(SpfResult::kPermerror, "more than 2 void DNS lookups");
    }
    return Match::kNo;
  }
  for (const auto& text : a.records) {
    auto addr = IpAddress::parse(text);
    if (addr && ip_.in_network(*addr, ip_.v6 ? m.cidr6 : m.cidr4)) return Match::kYes;
  }
  return Match::kNo;
}

// The PTR names of the client whose own addresses include it (section 5.5), at most ptr_names
// looked at.
std::vector<std::string> Evaluator::validated_names() {
  if (validated_) return *validated_;
  std::vector<std::string> out;
  net::DnsAnswer ptr = dns_.lookup(ip_.reverse_name(), DnsType::kPtr);
  if (ptr.status == DnsStatus::kOk) {
    int n = 0;
    for (const auto& name : ptr.records) {
      if (++n > req_.limits.ptr_names) break;
      net::DnsAnswer a = dns_.lookup(name, address_type());
      if (a.status != DnsStatus::kOk) continue;
      for (const auto& text : a.records) {
        auto addr = IpAddress::parse(text);
        if (addr && *addr == ip_) {
          out.push_back(name);
          break;
        }
      }
    }
  }
  validated_ = out;
  return out;
}

// %{p} (section 7.3): the target itself, else a subdomain of it, else any validated name.
std::string Evaluator::validated_name(std::string_view domain) {
  auto names = validated_names();
  for (const auto& n : names) {
    if (base::iequals(n, domain)) return n;
  }
  for (const auto& n : names) {
    if (is_subdomain_of(n, domain)) return n;
  }
  return names.empty() ? "unknown" : names.front();
}

Match Evaluator::match_ptr(std::string_view target) {
  net::DnsAnswer ptr = dns_.lookup(ip_.reverse_name(), DnsType::kPtr);
  if (ptr.status == DnsStatus::kNxDomain || ptr.status == DnsStatus::kNoData) {
    if (!void_lookup()) return error(SpfResult::kPermerror, "more than 2 void DNS lookups");
  }
  for (const auto& n : validated_names()) {
    if (is_subdomain_of(n, target)) return Match::kYes;
  }
  return Match::kNo;
}

Match Evaluator::evaluate(const SpfMechanism& m, std::string_view domain, int depth) {
  if (m.kind == SpfMechanismKind::kAll) return Match::kYes;
  if (m.kind == SpfMechanismKind::kIp4 || m.kind == SpfMechanismKind::kIp6) {
    return ip_.in_network(m.network, m.network.v6 ? m.cidr6 : m.cidr4) ? Match::kYes : Match::kNo;
  }
  if (!charge()) {
    return error(SpfResult::kPermerror,
                 fmt::format("more than {} DNS lookups", req_.limits.dns_mechanisms));
  }
  auto target = expand_target(m.domain_spec, domain);
  if (!target) return Match::kError;
  switch (m.kind) {
    case SpfMechanismKind::kInclude: {
      if (target->empty()) return error(SpfResult::kPermerror, "include of an invalid name");
      Outcome o = check(*target, depth + 1);
      switch (o.result) {
        case SpfResult::kPass: return Match::kYes;
        case SpfResult::kFail:
        case SpfResult::kSoftfail:
        case SpfResult::kNeutral: return Match::kNo;
        case SpfResult::kTemperror: return error(o.result, o.problem);
        case SpfResult::kPermerror: return error(o.result, o.problem);
        case SpfResult::kNone:
          return error(SpfResult::kPermerror,
                       fmt::format("include:{} has no SPF record", *target));
      }
      return Match::kNo;
    }
    case SpfMechanismKind::kA:
      if (target->empty()) return Match::kNo;
      return match_addresses(*target, m, true);
    case SpfMechanismKind::kMx: {
      if (target->empty()) return Match::kNo;
      net::DnsAnswer mx = dns_.lookup(*target, DnsType::kMx);
      if (mx.status == DnsStatus::kTemporary) {
        return error(SpfResult::kTemperror, fmt::format("DNS MX of {}: {}", *target, mx.error));
      }
      if (mx.status != DnsStatus::kOk) {
        if (!void_lookup()) return error(SpfResult::kPermerror, "more than 2 void DNS lookups");
        return Match::kNo;
      }
      if (mx.records.size() > static_cast<std::size_t>(req_.limits.mx_names)) {
        return error(SpfResult::kPermerror, fmt::format("{} has more than {} MX records",
                                                        *target, req_.limits.mx_names));
      }
      for (const auto& host : mx.records) {
        if (host.empty()) continue;  // null MX
        Match r = match_addresses(host, m, false);
        if (r != Match::kNo) return r;
      }
      return Match::kNo;
    }
    case SpfMechanismKind::kPtr:
      if (target->empty()) return Match::kNo;
      return match_ptr(*target);
    case SpfMechanismKind::kExists: {
      if (target->empty()) return Match::kNo;
      net::DnsAnswer a = dns_.lookup(*target, DnsType::kA);
      if (a.status == DnsStatus::kTemporary) {
        return error(SpfResult::kTemperror, fmt::format("DNS A of {}: {}", *target, a.error));
      }
      if (a.status == DnsStatus::kOk) return Match::kYes;
      if (!void_lookup()) return error(SpfResult::kPermerror, "more than 2 void DNS lookups");
      return Match::kNo;
    }
    default:
      return Match::kNo;
  }
}

// Section 6.2: any problem with the explanation leaves it empty (the default text).
std::string Evaluator::explain(const SpfRecord& r, std::string_view domain) {
  if (!r.exp) return {};
  auto target = expand_target(*r.exp, domain);
  if (!target || target->empty()) return {};
  net::DnsAnswer txt = dns_.lookup(*target, DnsType::kTxt);
  if (txt.status != DnsStatus::kOk || txt.records.size() != 1) return {};
  SpfMacroContext ctx = context(domain);
  std::string d(domain);
  ctx.validated_name = [this, d] { return validated_name(d); };
  auto text = expand_macros(txt.records.front(), ctx, MacroMode::kExplanation);
  return text ? *text : std::string();
}

Outcome Evaluator::check(std::string domain, int depth) {
  domain = std::string(strip_dot(domain));
  if (!valid_dns_name(domain, true)) {
    return Outcome{SpfResult::kNone, {}, fmt::format("\"{}\" is no domain name", domain)};
  }
  if (depth > req_.limits.dns_mechanisms) {
    return Outcome{SpfResult::kPermerror, {}, "include/redirect nested too deep"};
  }
  net::DnsAnswer txt = dns_.lookup(domain, DnsType::kTxt);
  if (txt.status == DnsStatus::kTemporary) {
    return Outcome{SpfResult::kTemperror, {}, fmt::format("DNS TXT of {}: {}", domain, txt.error)};
  }
  const std::string* found = nullptr;
  for (const auto& t : txt.records) {
    if (!is_spf_record(t)) continue;
    if (found) {
      return Outcome{SpfResult::kPermerror, {}, fmt::format("{} has several SPF records", domain)};
    }
    found = &t;
  }
  if (!found) return Outcome{SpfResult::kNone, {}, fmt::format("{} has no SPF record", domain)};
  auto record = parse_spf_record(*found);
  if (!record) {
    return Outcome{SpfResult::kPermerror, {}, fmt::format("{}: {}", domain, record.error().message)};
  }
  for (const auto& m : record->mechanisms) {
    Match r = evaluate(m, domain, depth);
    if (r == Match::kError) return error_;
    if (r == Match::kYes) {
      SpfResult res = qualifier_result(m.qualifier);
      Outcome o{res, {}, {}};
      if (res == SpfResult::kFail) o.explanation = explain(*record, domain);
      return o;
    }
  }
  if (record->redirect) {
    if (!charge()) {
      return Outcome{SpfResult::kPermerror, {},
                     fmt::format("more than {} DNS lookups", req_.limits.dns_mechanisms)};
    }
    auto target = expand_target(*record->redirect, domain);
    if (!target) return error_;
    Outcome o = check(*target, depth + 1);
    if (o.result == SpfResult::kNone) {
      return Outcome{SpfResult::kPermerror, {},
                     fmt::format("redirect={} has no SPF record", *target)};
    }
    return o;
  }
  return Outcome{SpfResult::kNeutral, {}, {}};
}

SpfVerdict run(const net::DnsLookup& dns, const SpfRequest& req, std::string_view domain,
               std::string_view sender) {
  SpfVerdict v;
  v.domain = std::string(strip_dot(domain));
  auto ip = IpAddress::parse(req.ip);
  if (!ip) {
    v.result = SpfResult::kNone;
    v.problem = fmt::format("\"{}\" is no IP address", req.ip);
    return v;
  }
  Evaluator e(dns, req, *ip, std::string(sender));
  Outcome o = e.check(std::string(domain), 0);
  v.result = o.result;
  v.explanation = std::move(o.explanation);
  v.problem = std::move(o.problem);
  v.dns_lookups = e.lookups();
  return v;
}

}  // namespace

std::string_view spf_result_name(SpfResult r) {
  switch (r) {
    case SpfResult::kNone: return "none";
    case SpfResult::kNeutral: return "neutral";
    case SpfResult::kPass: return "pass";
    case SpfResult::kFail: return "fail";
    case SpfResult::kSoftfail: return "softfail";
    case SpfResult::kTemperror: return "temperror";
    case SpfResult::kPermerror: return "permerror";
  }
  return "none";
}

SpfVerdict check_host(const net::DnsLookup& dns, const SpfRequest& req, std::string_view domain,
                      std::string_view sender) {
  return run(dns, req, domain, sender);
}

SpfVerdict check_helo(const net::DnsLookup& dns, const SpfRequest& req) {
  std::string sender = "postmaster@" + req.helo;
  return run(dns, req, req.helo, sender);
}

SpfVerdict check_mail_from(const net::DnsLookup& dns, const SpfRequest& req) {
  if (req.mail_from.empty()) return check_helo(dns, req);
  std::size_t at = req.mail_from.rfind('@');
  std::string_view domain =
      at == std::string::npos ? std::string_view(req.mail_from)
                              : std::string_view(req.mail_from).substr(at + 1);
  return run(dns, req, domain, req.mail_from);
}

}  // namespace posthouse::antispam
