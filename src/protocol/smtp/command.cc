#include "protocol/smtp/command.h"

#include <fmt/format.h>

#include <charconv>

#include "base/strings.h"
#include "protocol/text.h"

namespace posthouse::smtp {

using base::Errc;
using base::make_error;

namespace {

base::Error syntax(std::string msg) { return make_error(Errc::kInvalid, std::move(msg), "syntax"); }
base::Error param(std::string msg) { return make_error(Errc::kInvalid, std::move(msg), "param"); }

struct VerbEntry {
  std::string_view name;
  Verb verb;
};
constexpr VerbEntry kVerbs[] = {
    {"HELO", Verb::kHelo}, {"EHLO", Verb::kEhlo}, {"MAIL", Verb::kMail},
    {"RCPT", Verb::kRcpt}, {"DATA", Verb::kData}, {"BDAT", Verb::kBdat},
    {"RSET", Verb::kRset}, {"NOOP", Verb::kNoop}, {"QUIT", Verb::kQuit},
    {"VRFY", Verb::kVrfy}, {"HELP", Verb::kHelp}, {"STARTTLS", Verb::kStartTls},
    {"AUTH", Verb::kAuth},
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Decimal without sign or leading garbage; at most 20 digits so it fits uint64 checks.
std::optional<uint64_t> parse_u64(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Splits on runs of spaces; returns the next token and advances `s`.
std::string_view next_token(std::string_view& s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  size_t sp = s.find(' ');
  std::string_view tok = s.substr(0, sp);
  s.remove_prefix(sp == std::string_view::npos ? s.size() : sp);
  return tok;
}

bool is_esmtp_keyword(std::string_view k) {
  if (k.empty()) return false;
  for (size_t i = 0; i < k.size(); ++i) {
    char c = k[i];
    bool alnum = is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    if (!alnum && !(c == '-' && i > 0)) return false;
  }
  return true;
}

// esmtp-value = 1*(%d33-60 / %d62-126), UTF-8 allowed (RFC 6531 3.3).
bool is_esmtp_value(std::string_view v) {
  if (v.empty()) return false;
  for (unsigned char c : v) {
    if (c < 33 || c == '=' || c == 127) return false;
  }
  return protocol::valid_utf8(v);
}

// Finds the end of "<...>" honouring quoted local parts, which may contain '>' and spaces.
size_t path_end(std::string_view s) {
  if (s.empty() || s[0] != '<') return std::string_view::npos;
  bool quoted = false;
  for (size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == '>') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

struct Param {
  std::string_view key;
  std::optional<std::string_view> value;
};

base::Result<std::vector<Param>> split_params(std::string_view s) {
  std::vector<Param> out;
  while (true) {
    std::string_view tok = next_token(s);
    if (tok.empty()) break;
    if (out.size() >= 16) return param("too many parameters");
    size_t eq = tok.find('=');
    Param p{tok.substr(0, eq), std::nullopt};
    if (eq != std::string_view::npos) p.value = tok.substr(eq + 1);
    if (!is_esmtp_keyword(p.key)) return param("malformed parameter keyword");
    if (p.value && !is_esmtp_value(*p.value))
      return param("malformed value for " + std::string(p.key));
    for (const auto& q : out) {
      if (base::iequals(q.key, p.key)) return param("duplicate parameter " + std::string(p.key));
    }
    out.push_back(p);
  }
  return out;
}

base::Status apply_mail_param(const Param& p, MailParams& m) {
  auto need_value = [&]() -> base::Status {
    if (!p.value) return param(std::string(p.key) + " needs a value");
    return {};
  };
  if (base::iequals(p.key, "SIZE")) {
    PH_CHECK(need_value());
    auto v = parse_u64(*p.value);
    if (!v) return param("SIZE must be a decimal number");
    m.size = *v;
  } else if (base::iequals(p.key, "BODY")) {
    PH_CHECK(need_value());
    if (base::iequals(*p.value, "7BIT")) {
      m.body = BodyType::k7Bit;
    } else if (base::iequals(*p.value, "8BITMIME")) {
      m.body = BodyType::k8BitMime;
    } else if (base::iequals(*p.value, "BINARYMIME")) {
      m.body = BodyType::kBinaryMime;
    } else {
      return param("BODY must be 7BIT, 8BITMIME or BINARYMIME");
    }
  } else if (base::iequals(p.key, "SMTPUTF8")) {
    if (p.value) return param("SMTPUTF8 takes no value");
    m.smtputf8 = true;
  } else if (base::iequals(p.key, "RET")) {
    PH_CHECK(need_value());
    if (base::iequals(*p.value, "FULL")) {
      m.ret = DsnRet::kFull;
    } else if (base::iequals(*p.value, "HDRS")) {
      m.ret = DsnRet::kHdrs;
    } else {
      return param("RET must be FULL or HDRS");
    }
  } else if (base::iequals(p.key, "ENVID")) {
    PH_CHECK(need_value());
    auto v = xtext_decode(*p.value);
    if (!v.ok() || v->empty() || v->size() > 100) return param("malformed ENVID");
    for (unsigned char c : *v) {
      if (c < 32 || c > 126) return param("ENVID must be printable ASCII");
    }
    m.envid = std::move(*v);
  } else if (base::iequals(p.key, "AUTH")) {
    PH_CHECK(need_value());
    auto v = xtext_decode(*p.value);
    if (!v.ok() || v->empty() || v->size() > 512) return param("malformed AUTH= value");
    if (*v != "<>" && !parse_mailbox(*v, true).ok()) return param("malformed AUTH= mailbox");
    m.auth = std::move(*v);
  } else {
    return param("unsupported parameter " + std::string(p.key));
  }
  return {};
}

base::Status apply_rcpt_param(const Param& p, RcptParams& r) {
  if (!p.value) return param(std::string(p.key) + " needs a value");
  if (base::iequals(p.key, "NOTIFY")) {
    for (std::string_view item : base::split(*p.value, ',')) {
      uint8_t f;
      if (base::iequals(item, "NEVER")) {
        f = kNotifyNever;
      } else if (base::iequals(item, "SUCCESS")) {
        f = kNotifySuccess;
      } else if (base::iequals(item, "FAILURE")) {
        f = kNotifyFailure;
      } else if (base::iequals(item, "DELAY")) {
        f = kNotifyDelay;
      } else {
        return param("NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY");
      }
      if (r.notify & f) return param("NOTIFY lists a value twice");
      r.notify |= f;
    }
    if ((r.notify & kNotifyNever) && r.notify != kNotifyNever)
      return param("NOTIFY=NEVER cannot be combined");
  } else if (base::iequals(p.key, "ORCPT")) {
    size_t semi = p.value->find(';');
    if (semi == std::string_view::npos || semi == 0 || p.value->size() > 500)
      return param("ORCPT must be addr-type;address");
    std::string type = base::to_lower(p.value->substr(0, semi));
    if (!is_esmtp_keyword(type)) return param("malformed ORCPT address type");
    // utf-8-addr-xtext (RFC 6533) is a superset of xtext once UTF-8 bytes are allowed.
    auto addr = xtext_decode(p.value->substr(semi + 1));
    if (!addr.ok() || addr->empty() || !protocol::valid_utf8(*addr))
      return param("malformed ORCPT address");
    r.orcpt_type = std::move(type);
    r.orcpt_address = std::move(*addr);
  } else {
    return param("unsupported parameter " + std::string(p.key));
  }
  return {};
}

// "FROM:" / "TO:" then the path, then parameters. One space after the colon is tolerated:
// many deployed clients send it and Postfix and Exim accept it.
base::Result<std::pair<std::string_view, std::string_view>> split_path_args(
    std::string_view rest, std::string_view keyword) {
  if (!base::istarts_with(rest, keyword)) return syntax("expected " + std::string(keyword));
  rest.remove_prefix(keyword.size());
  if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  size_t end = path_end(rest);
  if (end == std::string_view::npos)
    return make_error(Errc::kInvalid, "address must be enclosed in <>", "address");
  std::string_view path = rest.substr(0, end);
  std::string_view params = rest.substr(end);
  if (!params.empty() && params[0] != ' ') return syntax("missing space after address");
  return std::make_pair(path, params);
}

bool valid_helo_arg(std::string_view a) {
  if (a.size() > 2 && a.front() == '[' && a.back() == ']') {
    // Reuse the mailbox parser's literal check through a synthetic address.
    return parse_mailbox("x@" + std::string(a), false).ok();
  }
  return valid_domain(a, true);
}

bool is_sasl_mech(std::string_view m) {
  if (m.empty() || m.size() > 20) return false;
  for (char c : m) {
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool is_base64_or_empty(std::string_view s) {
  if (s == "=") return true;
  if (s.empty() || s.size() % 4) return false;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' ||
              c == '/' || c == '=';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string_view verb_name(Verb v) {
  for (const auto& e : kVerbs) {
    if (e.verb == v) return e.name;
  }
  return "?";
}

base::Result<std::string> xtext_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    unsigned char c = in[i];
    if (c == '+') {
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;  // xtext hexchar is upper case only (RFC 3461 4)
      };
      if (i + 2 >= in.size()) return syntax("truncated xtext");
      int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return syntax("malformed xtext escape");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '=' || c < 33 || c == 127) {
      return syntax("malformed xtext");
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string xtext_encode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (c < 33 || c > 126 || c == '+' || c == '=') {
      out += '+';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string notify_value(uint8_t notify) {
  if (notify & kNotifyNever) return "NEVER";
  std::string out;
  for (auto [flag, name] :
       {std::pair{kNotifySuccess, "SUCCESS"}, std::pair{kNotifyFailure, "FAILURE"},
        std::pair{kNotifyDelay, "DELAY"}}) {
    if (!(notify & flag)) continue;
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

std::string orcpt_value(std::string_view type, std::string_view address) {
  std::string out = std::string(type) + ";";
  if (base::iequals(type, "rfc822")) return out + xtext_encode(address);
  // The ORCPT was checked to be valid UTF-8 when it was received (parse_command). A "\\x{HEX}"
  // it carried is still in the address as received (xtext_decode leaves it), so '\\' passes.
  for (std::size_t i = 0; i < address.size();) {
    unsigned char c = static_cast<unsigned char>(address[i]);
    std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (i + len > address.size()) len = 1;
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (address[i + k] & 0x3F);
    if (cp < 33 || cp > 126 || cp == '+' || cp == '=') {
      out += fmt::format("\\x{{{:X}}}", cp);
    } else {
      out += static_cast<char>(cp);
    }
    i += len;
  }
  return out;
}

base::Result<Command> parse_command(std::string_view line, const ParserOptions& opts) {
  [[maybe_unused]] auto [word, rest, has_rest] =
      PH_TRY(protocol::split_verb_line(line, opts.max_line));
  Command cmd;
  const auto* entry = protocol::find_keyword(kVerbs, word);
  if (!entry) return make_error(Errc::kInvalid, "command unrecognized", "command");
  cmd.verb = entry->verb;

  switch (cmd.verb) {
    case Verb::kHelo:
    case Verb::kEhlo: {
      std::string_view arg = next_token(rest);
      if (arg.empty()) return syntax(std::string(word) + " requires a domain or address literal");
      if (cmd.verb == Verb::kHelo && !next_token(rest).empty())
        return syntax("HELO takes one argument");
      // EHLO with trailing words is tolerated (RFC 5321 4.1.1.1 leaves it to the server);
      // the domain alone is kept.
      cmd.arg.assign(arg);
      cmd.helo_valid_domain = valid_helo_arg(arg);
      break;
    }
    case Verb::kMail: {
      auto [path, params] = PH_TRY(split_path_args(rest, "FROM:"));
      auto list = PH_TRY(split_params(params));
      for (const auto& p : list) PH_CHECK(apply_mail_param(p, cmd.mail));
      cmd.path = PH_TRY(parse_path(path, PathKind::kReverse, cmd.mail.smtputf8, opts.address));
      if (cmd.path.source_route && cmd.path.null_path) return syntax("malformed path");
      break;
    }
    case Verb::kRcpt: {
      auto [path, params] = PH_TRY(split_path_args(rest, "TO:"));
      auto list = PH_TRY(split_params(params));
      for (const auto& p : list) PH_CHECK(apply_rcpt_param(p, cmd.rcpt));
      // UTF-8 is parsed here and flagged (mailbox.utf8); only the session knows whether the
      // transaction declared SMTPUTF8.
      cmd.path = PH_TRY(parse_path(path, PathKind::kForward, true, opts.address));
      break;
    }
    case Verb::kBdat: {
      std::string_view n = next_token(rest);
      std::string_view last = next_token(rest);
      if (!next_token(rest).empty()) return syntax("BDAT takes a size and optional LAST");
      auto v = parse_u64(n);
      if (!v) return syntax("BDAT size must be a decimal number");
      if (*v > opts.max_bdat_chunk)
        return make_error(Errc::kTooLarge, "BDAT chunk too large", "syntax");
      cmd.bdat_size = *v;
      if (!last.empty()) {
        if (!base::iequals(last, "LAST")) return syntax("BDAT takes a size and optional LAST");
        cmd.bdat_last = true;
      }
      break;
    }
    case Verb::kAuth: {
      std::string_view mech = next_token(rest);
      std::string_view initial = next_token(rest);
      if (!next_token(rest).empty()) return syntax("AUTH takes a mechanism and initial response");
      if (!is_sasl_mech(mech)) return syntax("malformed SASL mechanism name");
      cmd.arg.assign(mech);
      for (auto& c : cmd.arg) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      }
      if (!initial.empty()) {
        if (!is_base64_or_empty(initial)) return syntax("initial response is not base64");
        cmd.auth_initial.emplace(initial);
      }
      break;
    }
    case Verb::kVrfy:
      if (base::trim(rest).empty()) return syntax("VRFY requires an argument");
      cmd.arg.assign(base::trim(rest));
      break;
    case Verb::kHelp:
    case Verb::kNoop:
      cmd.arg.assign(base::trim(rest));
      break;
    case Verb::kData:
    case Verb::kRset:
    case Verb::kQuit:
    case Verb::kStartTls:
      if (!base::trim(rest).empty()) return syntax(std::string(word) + " takes no arguments");
      break;
  }
  return cmd;
}

}  // namespace posthouse::smtp
