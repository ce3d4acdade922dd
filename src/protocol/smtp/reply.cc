#include "protocol/smtp/reply.h"

#include <fmt/format.h>

namespace posthouse::smtp {

using base::Errc;

namespace {
void append_clean(std::string& out, std::string_view text) {
  for (char c : text) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
}
}  // namespace

void format_reply(std::string& out, int code, std::string_view status,
                  const std::vector<std::string>& lines) {
  if (code < 200 || code > 599) code = 451;  // a bad code from a caller must not reach the wire
  char num[4];
  fmt::format_to_n(num, 3, "{:03d}", code);
  size_t count = lines.empty() ? 1 : lines.size();
  for (size_t i = 0; i < count; ++i) {
    out.append(num, 3);
    out += (i + 1 < count) ? '-' : ' ';
    if (!status.empty()) {
      append_clean(out, status);
      out += ' ';
    }
    if (!lines.empty()) append_clean(out, lines[i]);
    out += "\r\n";
  }
}

std::string Reply::wire(bool enhanced) const {
  std::string out;
  format_reply(out, code, enhanced ? std::string_view(status) : std::string_view(), lines);
  return out;
}

Reply make_reply(int code, std::string_view status, std::string_view text) {
  Reply r;
  r.code = code;
  r.status.assign(status);
  r.lines = {std::string(text)};
  return r;
}

Reply ehlo_reply(const EhloOptions& o) {
  Reply r;
  r.code = 250;
  // RFC 2034: no enhanced code on the EHLO reply lines (keywords must start each line).
  r.lines.clear();
  r.lines.push_back(o.hostname + (o.greeting.empty() ? "" : " " + o.greeting));
  if (o.pipelining) r.lines.push_back("PIPELINING");
  if (o.size) r.lines.push_back(fmt::format("SIZE {}", *o.size));
  if (o.eight_bit_mime) r.lines.push_back("8BITMIME");
  if (o.smtputf8) r.lines.push_back("SMTPUTF8");
  if (o.enhanced_status_codes) r.lines.push_back("ENHANCEDSTATUSCODES");
  if (o.chunking) r.lines.push_back("CHUNKING");
  if (o.chunking && o.binary_mime) r.lines.push_back("BINARYMIME");
  if (o.dsn) r.lines.push_back("DSN");
  if (o.starttls) r.lines.push_back("STARTTLS");
  if (!o.auth_mechanisms.empty()) {
    std::string line = "AUTH";
    for (const auto& m : o.auth_mechanisms) line += " " + m;
    r.lines.push_back(line);
  }
  return r;
}

Reply error_reply(const base::Error& e) {
  const std::string& f = e.field;
  if (f == "line") {
    if (e.code == Errc::kLimit) return make_reply(554, "5.6.0", "Message line too long");
    return make_reply(500, "5.5.2", e.code == Errc::kTooLarge ? "Line too long" : e.message);
  }
  if (f == "command") return make_reply(500, "5.5.1", "Command unrecognized");
  if (f == "syntax") return make_reply(501, "5.5.4", "Syntax error: " + e.message);
  if (f == "address") return make_reply(501, "5.1.3", "Bad address syntax: " + e.message);
  if (f == "param") return make_reply(555, "5.5.4", e.message);
  if (f == "size") return make_reply(552, "5.3.4", "Message size exceeds fixed maximum");
  if (f == "bare_lf") return make_reply(554, "5.6.0", "Bare LF in message; use CRLF");
  if (f == "sasl") return make_reply(501, "5.5.2", "Cannot decode SASL response");
  switch (e.code) {
    case Errc::kInvalid:
      return make_reply(501, "5.5.4", "Invalid argument");
    case Errc::kNotFound:
      return make_reply(550, "5.1.1", "Mailbox unavailable");
    case Errc::kConflict:
      return make_reply(503, "5.5.1", "Bad sequence of commands");
    case Errc::kForbidden:
      return make_reply(550, "5.7.1", "Relaying denied");
    case Errc::kUnauthenticated:
      return make_reply(535, "5.7.8", "Authentication credentials invalid");
    case Errc::kLimit:
      return make_reply(452, "4.5.3", "Too many recipients");
    case Errc::kTooLarge:
      return make_reply(552, "5.3.4", "Message size exceeds fixed maximum");
    case Errc::kTemporary:
      return make_reply(451, "4.3.0", "Temporary failure, try again later");
    case Errc::kIo:
      return make_reply(451, "4.3.0", "Local error in processing");
    case Errc::kUnavailable:
      return make_reply(502, "5.5.1", "Command not implemented");
    case Errc::kInternal:
      return make_reply(451, "4.3.0", "Local error in processing");
  }
  return make_reply(451, "4.3.0", "Local error in processing");
}

}  // namespace posthouse::smtp
