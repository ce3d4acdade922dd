#include "protocol/pop3/codec.h"

#include <cstring>

#include <fmt/format.h>

#include "base/strings.h"
#include "protocol/text.h"

namespace posthouse::pop3 {

using base::Errc;
using base::make_error;

namespace {

base::Error syntax(std::string m) { return make_error(Errc::kInvalid, std::move(m), "syntax"); }

constexpr struct {
  std::string_view name;
  Verb verb;
} kVerbs[] = {
    {"USER", Verb::kUser}, {"PASS", Verb::kPass}, {"STAT", Verb::kStat}, {"LIST", Verb::kList},
    {"RETR", Verb::kRetr}, {"DELE", Verb::kDele}, {"NOOP", Verb::kNoop}, {"RSET", Verb::kRset},
    {"QUIT", Verb::kQuit}, {"TOP", Verb::kTop},   {"UIDL", Verb::kUidl}, {"CAPA", Verb::kCapa},
    {"STLS", Verb::kStls}, {"AUTH", Verb::kAuth},
};

std::optional<uint32_t> number(std::string_view s, bool allow_zero) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > 0xFFFFFFFFull || (!allow_zero && v == 0)) return std::nullopt;
  return static_cast<uint32_t>(v);
}

void append_clean(std::string& out, std::string_view s) {
  for (char c : s) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
}

}  // namespace

base::Result<Command> parse_command(std::string_view line, const ParserOptions& opts) {
  auto [word, rest, has_rest] = PH_TRY(protocol::split_verb_line(line, opts.max_line));
  Command cmd;
  const auto* entry = protocol::find_keyword(kVerbs, word);
  if (entry) cmd.verb = entry->verb;
  if (!entry) {
    if (base::iequals(word, "APOP"))
      return make_error(Errc::kUnavailable, "APOP is not supported", "command");
    return make_error(Errc::kInvalid, "Unknown command", "command");
  }
  std::vector<std::string_view> args;
  if (has_rest) args = base::split(rest, ' ');
  for (auto a : args) {
    if (a.empty() && cmd.verb != Verb::kPass) return syntax("Malformed arguments");
  }
  auto want = [&](size_t lo, size_t hi) -> base::Status {
    if (args.size() < lo || args.size() > hi) return syntax("Wrong number of arguments");
    return {};
  };
  switch (cmd.verb) {
    case Verb::kUser:
      PH_CHECK(want(1, 1));
      cmd.arg = args[0];
      break;
    case Verb::kPass:
      // RFC 1939 7: the password is the rest of the line and may contain spaces.
      if (rest.empty()) return syntax("PASS needs a password");
      cmd.arg = rest;
      break;
    case Verb::kStat:
    case Verb::kNoop:
    case Verb::kRset:
    case Verb::kQuit:
    case Verb::kCapa:
    case Verb::kStls:
      PH_CHECK(want(0, 0));
      break;
    case Verb::kList:
    case Verb::kUidl:
      PH_CHECK(want(0, 1));
      if (!args.empty()) {
        cmd.msg = number(args[0], false);
        if (!cmd.msg) return syntax("Invalid message number");
      }
      break;
    case Verb::kRetr:
    case Verb::kDele:
      PH_CHECK(want(1, 1));
      cmd.msg = number(args[0], false);
      if (!cmd.msg) return syntax("Invalid message number");
      break;
    case Verb::kTop: {
      PH_CHECK(want(2, 2));
      cmd.msg = number(args[0], false);
      if (!cmd.msg) return syntax("Invalid message number");
      auto n = number(args[1], true);
      if (!n) return syntax("Invalid line count");
      cmd.lines = *n;
      break;
    }
    case Verb::kAuth:
      PH_CHECK(want(0, 2));
      if (!args.empty()) {
        cmd.arg = args[0];
        if (args.size() == 2) cmd.initial = args[1];
      }
      break;
  }
  return cmd;
}

std::string ok_reply(std::string_view text) {
  std::string out = "+OK";
  if (!text.empty()) {
    out += ' ';
    append_clean(out, text);
  }
  out += "\r\n";
  return out;
}

std::string err_reply(std::string_view code, std::string_view text) {
  std::string out = "-ERR";
  if (!code.empty()) {
    out += " [";
    append_clean(out, code);
    out += ']';
  }
  out += ' ';
  append_clean(out, text);
  out += "\r\n";
  return out;
}

std::string error_reply(const base::Error& e) {
  if (e.field == "syntax" || e.field == "command" || e.field == "line") {
    return err_reply("", e.code == Errc::kTooLarge ? "Command line too long" : e.message);
  }
  switch (e.code) {
    case Errc::kInvalid:
      return err_reply("", "Invalid argument");
    case Errc::kNotFound:
      return err_reply("", "No such message");
    case Errc::kConflict:
      if (e.field == "lock") return err_reply("IN-USE", "Mailbox is locked by another session");
      return err_reply("", "Not allowed now");
    case Errc::kUnauthenticated:
      return err_reply("AUTH", "Authentication failed");
    case Errc::kForbidden:
      return err_reply("AUTH", "POP3 access is not enabled for this account");
    case Errc::kLimit:
      if (e.field == "login") return err_reply("LOGIN-DELAY", "Too many attempts, wait");
      return err_reply("SYS/TEMP", "Limit exceeded, try again later");
    case Errc::kTooLarge:
      return err_reply("", "Too large");
    case Errc::kTemporary:
    case Errc::kIo:
    case Errc::kInternal:
      return err_reply("SYS/TEMP", "Temporary failure, try again later");
    case Errc::kUnavailable:
      return err_reply("SYS/PERM", "Service unavailable");
  }
  return err_reply("SYS/TEMP", "Temporary failure, try again later");
}

std::string capa_reply(const CapaOptions& o) {
  std::string out = "+OK Capability list follows\r\n";
  out += "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n";
  if (o.user) out += "USER\r\n";
  if (!o.sasl.empty()) {
    out += "SASL";
    for (const auto& m : o.sasl) {
      out += ' ';
      append_clean(out, m);
    }
    out += "\r\n";
  }
  if (o.stls) out += "STLS\r\n";
  if (o.expire_days) fmt::format_to(std::back_inserter(out), "EXPIRE {}\r\n", *o.expire_days);
  out += "IMPLEMENTATION ";
  append_clean(out, o.implementation);
  out += "\r\n.\r\n";
  return out;
}

void MultilineEncoder::feed(std::string_view data, std::string& out) {
  if (data.empty()) return;
  empty_ = false;
  // Line by line with memchr: only a line's first byte (stuffing) and the byte before its LF
  // (bare LF) matter; the runs between are copied whole.
  const char* const begin = data.data();
  const char* const end = begin + data.size();
  const char* start = begin;  // first byte not yet copied
  const char* p = begin;
  while (p < end) {
    if (at_line_start_ && *p == '.') {
      out.append(start, p);
      out += '.';  // the stuffing dot; the original dot follows with the next run
      start = p;
    }
    const auto* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    if (nl == nullptr) {
      at_line_start_ = false;
      last_cr_ = end[-1] == '\r';
      break;
    }
    bool cr_before = nl > begin ? nl[-1] == '\r' : last_cr_;
    if (!cr_before) {
      // A bare LF goes out as CRLF, so clients that split on LF and clients that split on
      // CRLF see the same lines (and the same stuffing).
      out.append(start, nl);
      out += '\r';
      start = nl;
    }
    at_line_start_ = true;
    last_cr_ = false;
    p = nl + 1;
  }
  out.append(start, end);
}

void MultilineEncoder::finish(std::string& out) {
  if (!empty_ && !at_line_start_) out += last_cr_ ? "\n" : "\r\n";
  out += ".\r\n";
  at_line_start_ = true;
  last_cr_ = false;
  empty_ = true;
}

std::string_view top_prefix(std::string_view m, uint32_t body_lines) {
  size_t hdr_end = m.find("\r\n\r\n");
  if (hdr_end == std::string_view::npos) return m;
  size_t pos = hdr_end + 4;
  for (uint32_t i = 0; i < body_lines && pos < m.size(); ++i) {
    size_t nl = m.find('\n', pos);
    if (nl == std::string_view::npos) return m;
    pos = nl + 1;
  }
  return m.substr(0, pos);
}

}  // namespace posthouse::pop3
