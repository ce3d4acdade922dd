#include "antispam/dmarc.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>

#include "antispam/dkim_signature.h"
#include "base/strings.h"

namespace posthouse::antispam {

using base::Errc;
using base::Error;

std::string_view dmarc_policy_name(DmarcPolicy p) {
  switch (p) {
    case DmarcPolicy::kNone: return "none";
    case DmarcPolicy::kQuarantine: return "quarantine";
    case DmarcPolicy::kReject: return "reject";
  }
  return "none";
}

std::string_view dmarc_result_name(DmarcResult r) {
  switch (r) {
    case DmarcResult::kNone: return "none";
    case DmarcResult::kPass: return "pass";
    case DmarcResult::kFail: return "fail";
    case DmarcResult::kTempError: return "temperror";
    case DmarcResult::kPermError: return "permerror";
  }
  return "none";
}

namespace {

std::optional<DmarcPolicy> policy_of(std::string_view v) {
  if (base::iequals(v, "none")) return DmarcPolicy::kNone;
  if (base::iequals(v, "quarantine")) return DmarcPolicy::kQuarantine;
  if (base::iequals(v, "reject")) return DmarcPolicy::kReject;
  return std::nullopt;
}

// r or s; nullopt for anything else.
std::optional<bool> strictness(std::string_view v) {
  if (base::iequals(v, "r")) return false;
  if (base::iequals(v, "s")) return true;
  return std::nullopt;
}

// At least one mailto: URI (RFC 7489 6.2, 6.4: a comma-separated list).
bool has_valid_uri(std::string_view rua) {
  std::size_t start = 0;
  while (start <= rua.size()) {
    auto comma = rua.find(',', start);
    std::string_view uri = base::trim(rua.substr(start, comma == rua.npos ? rua.npos : comma - start));
    if (uri.size() > 7 && base::iequals(uri.substr(0, 7), "mailto:") &&
        uri.find('@') != std::string_view::npos) {
      return true;
    }
    if (comma == rua.npos) break;
    start = comma + 1;
  }
  return false;
}

bool is_dmarc_record(std::string_view text) {
  auto tags = parse_dkim_tag_list(text, "DMARC record");
  return tags && !tags->empty() && (*tags)[0].name == "v" && (*tags)[0].value == "DMARC1";
}

}  // namespace

base::Result<DmarcRecord> parse_dmarc_record(std::string_view text) {
  auto tags = parse_dkim_tag_list(text, "DMARC record");
  if (!tags) return std::move(tags).error();
  if (tags->empty() || (*tags)[0].name != "v" || (*tags)[0].value != "DMARC1") {
    return Error(Errc::kInvalid, "DMARC record: does not start with v=DMARC1");
  }
  DmarcRecord r;
  std::optional<DmarcPolicy> p, sp;
  bool p_seen = false, sp_seen = false;
  for (std::size_t i = 1; i < tags->size(); ++i) {
    std::string_view name = (*tags)[i].name, value = base::trim((*tags)[i].value);
    if (name == "p") {
      p_seen = true;
      p = policy_of(value);
    } else if (name == "sp") {
      sp_seen = true;
      sp = policy_of(value);
    } else if (name == "np") {
      r.nonexistent_policy = policy_of(value);  // another value: ignored (RFC 9091 4.1)
    } else if (name == "adkim" || name == "aspf") {
      auto s = strictness(value);
      if (!s) return Error(Errc::kInvalid, fmt::format("DMARC record: {}= must be r or s", name));
      (name == "adkim" ? r.strict_dkim : r.strict_spf) = *s;
    } else if (name == "pct") {
      int n = -1;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || n < 0 || n > 100) {
        return Error(Errc::kInvalid, "DMARC record: pct= must be a number from 0 to 100");
      }
      r.pct = n;
    } else if (name == "rua") {
      r.rua = std::string(value);
    } else if (name == "ruf") {
      r.ruf = std::string(value);
    }  // fo, rf, ri and unknown tags: nothing to enforce here
  }
  if (!p || (sp_seen && !sp)) {
    // 6.6.3: a missing or invalid p (or invalid sp) with a usable rua is p=none.
    if (!has_valid_uri(r.rua)) {
      return Error(Errc::kInvalid, p_seen ? "DMARC record: p= must be none, quarantine or reject"
                                          : "DMARC record: no p= tag");
    }
    p = DmarcPolicy::kNone;
    sp = DmarcPolicy::kNone;
  }
  r.policy = *p;
  r.subdomain_policy = sp.value_or(*p);
  return r;
}

namespace {

struct Discovery {
  enum class Outcome { kFound, kNone, kTempError, kPermError } outcome = Outcome::kNone;
  DmarcRecord record;
  std::string problem;
};

Discovery discover(const net::DnsLookup& dns, const std::string& domain) {
  Discovery d;
  net::DnsAnswer a = dns.lookup("_dmarc." + domain, net::DnsType::kTxt);
  if (a.status == net::DnsStatus::kTemporary) {
    d.outcome = Discovery::Outcome::kTempError;
    d.problem = fmt::format("lookup of _dmarc.{} failed: {}", domain, a.error);
    return d;
  }
  std::vector<const std::string*> found;
  for (const auto& r : a.records) {
    if (is_dmarc_record(r) || r.starts_with("v=DMARC1")) found.push_back(&r);
  }
  if (found.empty()) return d;
  if (found.size() > 1) {
    d.problem = fmt::format("_dmarc.{} has {} DMARC records", domain, found.size());
    return d;
  }
  auto rec = parse_dmarc_record(*found[0]);
  if (!rec) {
    d.outcome = Discovery::Outcome::kPermError;
    d.problem = fmt::format("_dmarc.{}: {}", domain, rec.error().message);
    return d;
  }
  d.outcome = Discovery::Outcome::kFound;
  d.record = std::move(*rec);
  return d;
}

// RFC 9091 2.7: no A, AAAA or MX records (NXDOMAIN or no data for each). A DNS error is not
// proof of absence: the domain counts as existing.
bool nonexistent(const net::DnsLookup& dns, const std::string& domain) {
  for (auto type : {net::DnsType::kA, net::DnsType::kAaaa, net::DnsType::kMx}) {
    auto a = dns.lookup(domain, type);
    if (a.status != net::DnsStatus::kNxDomain && a.status != net::DnsStatus::kNoData) return false;
    if (a.status == net::DnsStatus::kNxDomain) return true;  // no name: no records of any type
  }
  return true;
}

DmarcPolicy next_lower(DmarcPolicy p) {
  return p == DmarcPolicy::kReject ? DmarcPolicy::kQuarantine : DmarcPolicy::kNone;
}

}  // namespace

DmarcVerdict dmarc_check(const net::DnsLookup& dns, const PublicSuffixList& psl,
                         const DmarcInput& in) {
  DmarcVerdict v;
  const std::string from = normalize_domain(in.from_domain);
  if (from.empty()) {
    v.result = DmarcResult::kPermError;
    v.problem = "no RFC5322.From domain";
    return v;
  }
  const std::string org = psl.organizational_domain(from);
  Discovery d = discover(dns, from);
  v.record_domain = from;
  if (d.outcome == Discovery::Outcome::kNone && d.problem.empty() && org != from) {
    d = discover(dns, org);
    v.record_domain = org;
  }
  switch (d.outcome) {
    case Discovery::Outcome::kNone:
      v.problem = std::move(d.problem);
      v.record_domain.clear();
      return v;
    case Discovery::Outcome::kTempError:
      v.result = DmarcResult::kTempError;
      v.problem = std::move(d.problem);
      return v;
    case Discovery::Outcome::kPermError:
      v.result = DmarcResult::kPermError;
      v.problem = std::move(d.problem);
      return v;
    case Discovery::Outcome::kFound: break;
  }
  const DmarcRecord& r = d.record;
  v.record = r;
  auto aligned = [&](const std::string& id, bool strict) {
    std::string a = normalize_domain(id);
    if (a.empty()) return false;
    return strict ? a == from : psl.organizational_domain(a) == org;
  };
  v.spf_aligned = in.spf_pass && aligned(in.spf_domain, r.strict_spf);
  for (const auto& d_domain : in.dkim_pass_domains) v.dkim_aligned |= aligned(d_domain, r.strict_dkim);
  v.policy = v.record_domain == from ? r.policy : r.subdomain_policy;
  if (v.spf_aligned || v.dkim_aligned) {
    v.result = DmarcResult::kPass;
    return v;
  }
  v.result = DmarcResult::kFail;
  if (v.record_domain != from && r.nonexistent_policy && nonexistent(dns, from)) {
    v.policy = *r.nonexistent_policy;
  }
  v.disposition = in.sample < r.pct ? v.policy : next_lower(v.policy);
  return v;
}

std::string dmarc_result_text(const DmarcVerdict& v, std::string_view from_domain) {
  std::string out = fmt::format("dmarc={}", dmarc_result_name(v.result));
  if (v.result == DmarcResult::kPass || v.result == DmarcResult::kFail) {
    out += fmt::format(" (p={} dis={}{})", dmarc_policy_name(v.policy),
                       dmarc_policy_name(v.disposition),
                       v.override_reason.empty() ? "" : " override=" + v.override_reason);
  }
  std::string d = normalize_domain(from_domain);
  bool safe = !d.empty() && d.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-._") ==
                                std::string::npos;
  if (safe) out += " header.from=" + d;
  return out;
}

}  // namespace posthouse::antispam
