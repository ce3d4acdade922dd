#include "antispam/spf_record.h"

#include <fmt/format.h>

#include <array>

#include "antispam/spf_macro.h"
#include "base/strings.h"

namespace posthouse::antispam {

using base::Errc;
using base::Error;

namespace {

bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool alnum(char c) { return alpha(c) || digit(c); }

Error syntax(std::string_view term, std::string_view why) {
  return Error(Errc::kInvalid, fmt::format("SPF term \"{}\": {}", term, why));
}

constexpr std::array<std::pair<std::string_view, SpfMechanismKind>, 8> kMechanisms{{
    {"all", SpfMechanismKind::kAll},
    {"include", SpfMechanismKind::kInclude},
    {"a", SpfMechanismKind::kA},
    {"mx", SpfMechanismKind::kMx},
    {"ptr", SpfMechanismKind::kPtr},
    {"ip4", SpfMechanismKind::kIp4},
    {"ip6", SpfMechanismKind::kIp6},
    {"exists", SpfMechanismKind::kExists},
}};

// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
bool modifier_name_ok(std::string_view n) {
  if (n.empty() || !alpha(n[0])) return false;
  for (char c : n) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
bool toplabel_ok(std::string_view l) {
  if (l.empty() || l.front() == '-' || l.back() == '-') return false;
  bool letter_or_dash = false;
  for (char c : l) {
    if (!alnum(c) && c != '-') return false;
    letter_or_dash |= alpha(c) || c == '-';
  }
  return letter_or_dash;
}

// domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand
base::Status check_domain_spec(std::string_view spec, std::string_view term) {
  if (spec.empty()) return syntax(term, "empty domain");
  if (auto st = check_macro_string(spec, MacroMode::kDomainSpec); !st) {
    return syntax(term, st.error().message);
  }
  if (spec.back() == '}') return {};
  if (spec.size() >= 2 && spec[spec.size() - 2] == '%' &&
      std::string_view("%_-").find(spec.back()) != std::string_view::npos) {
    return {};
  }
  std::string_view s = spec;
  if (s.back() == '.') s.remove_suffix(1);
  std::size_t dot = s.rfind('.');
  if (dot == std::string_view::npos || !toplabel_ok(s.substr(dot + 1))) {
    return syntax(term, "domain must end in a macro or a valid top label");
  }
  return {};
}

// ip4-cidr-length = "/" ( "0" / %x31-39 0*1DIGIT ), at most `max`.
base::Result<int> cidr_length(std::string_view digits, int max, std::string_view term) {
  if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0')) {
    return syntax(term, "bad CIDR length");
  }
  int v = 0;
  for (char c : digits) {
    if (!digit(c)) return syntax(term, "bad CIDR length");
    v = v * 10 + (c - '0');
  }
  if (v > max) return syntax(term, fmt::format("CIDR length {} over {}", v, max));
  return v;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!digit(c)) return false;
  }
  return true;
}

// Where a dual-cidr-length ("/N", "//M" or "/N//M") starts at the end of `arg`, or npos.
std::size_t cidr_start(std::string_view arg) {
  std::size_t end = arg.size();
  std::size_t dd = arg.rfind("//");
  if (dd != std::string_view::npos && all_digits(arg.substr(dd + 2))) end = dd;
  std::size_t single = arg.substr(0, end).rfind('/');
  if (single != std::string_view::npos && all_digits(arg.substr(single + 1, end - single - 1)) &&
      (single == 0 || arg[single - 1] != '/')) {
    return single;
  }
  return end == arg.size() ? std::string_view::npos : end;
}

base::Status parse_dual_cidr(std::string_view cidr, SpfMechanism& m, std::string_view term) {
  std::size_t dd = cidr.find("//");
  std::string_view c4 = cidr.substr(0, dd);
  if (!c4.empty()) m.cidr4 = PH_TRY(cidr_length(c4.substr(1), 32, term));
  if (dd != std::string_view::npos) m.cidr6 = PH_TRY(cidr_length(cidr.substr(dd + 2), 128, term));
  return {};
}

base::Status parse_ip(std::string_view arg, SpfMechanism& m, std::string_view term) {
  if (arg.empty() || arg[0] != ':') return syntax(term, "missing address");
  arg.remove_prefix(1);
  bool v6 = m.kind == SpfMechanismKind::kIp6;
  std::size_t slash = arg.find('/');
  std::string_view addr = arg.substr(0, slash);
  auto ip = IpAddress::parse(addr, false);
  if (!ip || ip->v6 != v6 || (v6 == (addr.find(':') == std::string_view::npos))) {
    return syntax(term, v6 ? "bad IPv6 address" : "bad IPv4 address");
  }
  m.network = *ip;
  if (slash != std::string_view::npos) {
    int len = PH_TRY(cidr_length(arg.substr(slash + 1), v6 ? 128 : 32, term));
    (v6 ? m.cidr6 : m.cidr4) = len;
  }
  return {};
}

base::Result<SpfMechanism> parse_mechanism(std::string_view term) {
  SpfMechanism m;
  std::string_view rest = term;
  if (std::string_view("+-~?").find(rest[0]) != std::string_view::npos) {
    m.qualifier = static_cast<SpfQualifier>(rest[0]);
    rest.remove_prefix(1);
  }
  std::size_t name_end = rest.find_first_of(":/");
  std::string name = base::to_lower(rest.substr(0, name_end));
  std::string_view arg = name_end == std::string_view::npos ? "" : rest.substr(name_end);
  bool known = false;
  for (const auto& [n, k] : kMechanisms) {
    if (n == name) {
      m.kind = k;
      known = true;
    }
  }
  if (!known) return syntax(term, "unknown mechanism");
  switch (m.kind) {
    case SpfMechanismKind::kAll:
      if (!arg.empty()) return syntax(term, "\"all\" takes no argument");
      break;
    case SpfMechanismKind::kInclude:
    case SpfMechanismKind::kExists:
    case SpfMechanismKind::kPtr:
      if (arg.empty() && m.kind == SpfMechanismKind::kPtr) break;
      if (arg.empty() || arg[0] != ':') return syntax(term, "missing \":domain\"");
      m.domain_spec = std::string(arg.substr(1));
      PH_CHECK(check_domain_spec(m.domain_spec, term));
      break;
    case SpfMechanismKind::kA:
    case SpfMechanismKind::kMx: {
      std::size_t c = cidr_start(arg);
      std::string_view domain = arg.substr(0, c);
      if (!domain.empty()) {
        if (domain[0] != ':') return syntax(term, "junk after the mechanism name");
        m.domain_spec = std::string(domain.substr(1));
        PH_CHECK(check_domain_spec(m.domain_spec, term));
      }
      if (c != std::string_view::npos) PH_CHECK(parse_dual_cidr(arg.substr(c), m, term));
      break;
    }
    case SpfMechanismKind::kIp4:
    case SpfMechanismKind::kIp6:
      PH_CHECK(parse_ip(arg, m, term));
      break;
  }
  return m;
}

base::Status parse_modifier(std::string_view term, std::size_t eq, SpfRecord& r) {
  std::string_view name = term.substr(0, eq);
  std::string_view value = term.substr(eq + 1);
  if (!modifier_name_ok(name)) return syntax(term, "bad modifier name");
  std::string lower = base::to_lower(name);
  if (lower == "redirect" || lower == "exp") {
    auto& slot = lower == "redirect" ? r.redirect : r.exp;
    if (slot) return syntax(term, fmt::format("{}= appears twice", lower));
    PH_CHECK(check_domain_spec(value, term));
    slot = std::string(value);
    return {};
  }
  if (auto st = check_macro_string(value, MacroMode::kDomainSpec); !st) {
    return syntax(term, st.error().message);
  }
  r.unknown_modifiers.push_back(SpfModifier{std::string(name), std::string(value)});
  return {};
}

}  // namespace

std::string_view mechanism_name(SpfMechanismKind kind) {
  for (const auto& [n, k] : kMechanisms) {
    if (k == kind) return n;
  }
  return "?";
}

bool is_spf_record(std::string_view txt) {
  return base::istarts_with(txt, "v=spf1") && (txt.size() == 6 || txt[6] == ' ');
}

bool SpfRecord::has_all() const {
  for (const auto& m : mechanisms) {
    if (m.kind == SpfMechanismKind::kAll) return true;
  }
  return false;
}

base::Result<SpfRecord> parse_spf_record(std::string_view txt) {
  if (txt.size() > kMaxRecordBytes) {
    return Error(Errc::kTooLarge, fmt::format("SPF record longer than {} bytes", kMaxRecordBytes));
  }
  if (!is_spf_record(txt)) return Error(Errc::kInvalid, "not an SPF record (no \"v=spf1\")");
  SpfRecord r;
  std::size_t terms = 0;
  std::size_t pos = 6;
  while (pos < txt.size()) {
    if (txt[pos] == ' ') {
      ++pos;
      continue;
    }
    std::size_t end = txt.find(' ', pos);
    if (end == std::string_view::npos) end = txt.size();
    std::string_view term = txt.substr(pos, end - pos);
    pos = end;
    for (char c : term) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x21 || u > 0x7e) {
        return Error(Errc::kInvalid,
                     fmt::format("SPF record holds byte 0x{:02x}: only visible ASCII and SP", u));
      }
    }
    if (++terms > kMaxTerms) {
      return Error(Errc::kTooLarge, fmt::format("SPF record has more than {} terms", kMaxTerms));
    }
    std::size_t eq = term.find('=');
    std::size_t mech_end = term.find_first_of(":/");
    if (eq != std::string_view::npos && (mech_end == std::string_view::npos || eq < mech_end)) {
      PH_CHECK(parse_modifier(term, eq, r));
    } else {
      r.mechanisms.push_back(PH_TRY(parse_mechanism(term)));
    }
  }
  return r;
}

std::string SpfRecord::format() const {
  std::string out = "v=spf1";
  for (const auto& m : mechanisms) {
    out += ' ';
    if (m.qualifier != SpfQualifier::kPass) out += static_cast<char>(m.qualifier);
    out += mechanism_name(m.kind);
    if (m.kind == SpfMechanismKind::kIp4 || m.kind == SpfMechanismKind::kIp6) {
      out += ':' + m.network.to_string();
    } else if (!m.domain_spec.empty()) {
      out += ':' + m.domain_spec;
    }
    bool v4 = m.kind == SpfMechanismKind::kA || m.kind == SpfMechanismKind::kMx ||
              m.kind == SpfMechanismKind::kIp4;
    bool v6 = m.kind == SpfMechanismKind::kA || m.kind == SpfMechanismKind::kMx ||
              m.kind == SpfMechanismKind::kIp6;
    if (v4 && m.cidr4 != 32) out += fmt::format("/{}", m.cidr4);
    if (v6 && m.cidr6 != 128) out += fmt::format("{}/{}", m.kind == SpfMechanismKind::kIp6 ? "" : "/", m.cidr6);
  }
  if (redirect) out += " redirect=" + *redirect;
  if (exp) out += " exp=" + *exp;
  for (const auto& u : unknown_modifiers) out += ' ' + u.name + '=' + u.value;
  return out;
}

}  // namespace posthouse::antispam
