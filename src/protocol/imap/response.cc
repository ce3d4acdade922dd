#include "protocol/imap/response.h"

#include <fmt/format.h>

#include <cstring>

#include "protocol/text.h"

namespace posthouse::imap {

using base::Errc;

namespace {

std::string_view cond_name(Cond c) {
  switch (c) {
    case Cond::kOk:
      return "OK";
    case Cond::kNo:
      return "NO";
    case Cond::kBad:
      return "BAD";
    case Cond::kBye:
      return "BYE";
    case Cond::kPreauth:
      return "PREAUTH";
  }
  return "BAD";
}

void append_text(std::string& out, std::string_view s) {
  for (char c : s) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
}

void append_cond(std::string& out, Cond c, std::string_view code, std::string_view text) {
  out += cond_name(c);
  if (!code.empty()) {
    out += " [";
    append_text(out, code);
    out += ']';
  }
  out += ' ';
  append_text(out, text.empty() ? std::string_view("completed") : text);
  out += "\r\n";
}

bool atom_safe(std::string_view s) {
  if (s.empty() || s.size() > 1024) return false;
  if (s.size() == 3 && (s[0] | 0x20) == 'n' && (s[1] | 0x20) == 'i' && (s[2] | 0x20) == 'l')
    return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7F) return false;
    if (std::strchr("(){%*\"\\]", c)) return false;
  }
  return true;
}

}  // namespace

void append_tagged(std::string& out, std::string_view tag, Cond c, std::string_view code,
                   std::string_view text) {
  append_text(out, tag.empty() ? std::string_view("*") : tag);
  out += ' ';
  append_cond(out, c, code, text);
}

void append_status(std::string& out, Cond c, std::string_view code, std::string_view text) {
  out += "* ";
  append_cond(out, c, code, text);
}

void append_untagged(std::string& out, std::string_view data) {
  out += "* ";
  out += data;
  out += "\r\n";
}

void append_continuation(std::string& out, std::string_view text) {
  out += "+ ";
  append_text(out, text);
  out += "\r\n";
}

void append_flag_list(std::string& out, const std::vector<std::string_view>& flags) {
  out += '(';
  for (size_t i = 0; i < flags.size(); ++i) {
    if (i) out += ' ';
    append_text(out, flags[i]);
  }
  out += ')';
}

void append_literal(std::string& out, std::string_view s) {
  fmt::format_to(std::back_inserter(out), "{{{}}}\r\n", s.size());
  out += s;
}

void append_literal8(std::string& out, std::string_view s) {
  fmt::format_to(std::back_inserter(out), "~{{{}}}\r\n", s.size());
  out += s;
}

void append_quoted_or_literal(std::string& out, std::string_view s, bool utf8) {
  bool quotable = s.size() <= 1024;
  bool high = false;
  for (unsigned char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') {
      quotable = false;
      break;
    }
    if (c >= 0x80) high = true;
  }
  if (high && (!utf8 || !protocol::valid_utf8(s))) quotable = false;
  if (!quotable) {
    if (std::memchr(s.data(), '\0', s.size())) {
      append_literal8(out, s);
    } else {
      append_literal(out, s);
    }
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void append_astring(std::string& out, std::string_view s, bool utf8) {
  if (atom_safe(s)) {
    out += s;
  } else {
    append_quoted_or_literal(out, s, utf8);
  }
}

void append_nstring(std::string& out, std::optional<std::string_view> s, bool utf8) {
  if (!s) {
    out += "NIL";
  } else {
    append_quoted_or_literal(out, *s, utf8);
  }
}

std::string error_response(std::string_view tag, const base::Error& e) {
  std::string out;
  const std::string& f = e.field;
  if (f == "syntax" || f == "line") {
    append_tagged(out, tag, Cond::kBad, "", e.message);
    return out;
  }
  if (f == "literal") {
    append_tagged(out, tag, Cond::kBad, "TOOBIG", e.message);
    return out;
  }
  if (f == "mailbox" && e.code == Errc::kInvalid) {
    append_tagged(out, tag, Cond::kNo, "CANNOT", e.message);
    return out;
  }
  switch (e.code) {
    case Errc::kInvalid:
      append_tagged(out, tag, Cond::kBad, "", "Invalid arguments");
      break;
    case Errc::kNotFound:
      append_tagged(out, tag, Cond::kNo, "NONEXISTENT", "No such mailbox or message");
      break;
    case Errc::kConflict:
      if (f == "mailbox") {
        append_tagged(out, tag, Cond::kNo, "ALREADYEXISTS", "Mailbox already exists");
      } else {
        append_tagged(out, tag, Cond::kNo, "", "Not allowed in this state");
      }
      break;
    case Errc::kForbidden:
      append_tagged(out, tag, Cond::kNo, "NOPERM", "Permission denied");
      break;
    case Errc::kUnauthenticated:
      append_tagged(out, tag, Cond::kNo, "AUTHENTICATIONFAILED", "Authentication failed");
      break;
    case Errc::kLimit:
      if (f == "quota") {
        append_tagged(out, tag, Cond::kNo, "OVERQUOTA", "Quota exceeded");
      } else {
        append_tagged(out, tag, Cond::kNo, "LIMIT", "Limit exceeded");
      }
      break;
    case Errc::kTooLarge:
      append_tagged(out, tag, Cond::kNo, "TOOBIG", "Too large");
      break;
    case Errc::kTemporary:
    case Errc::kUnavailable:
      append_tagged(out, tag, Cond::kNo, "UNAVAILABLE", "Temporarily unavailable, try again");
      break;
    case Errc::kIo:
    case Errc::kInternal:
      append_tagged(out, tag, Cond::kNo, "SERVERBUG", "Internal error");
      break;
  }
  return out;
}

}  // namespace posthouse::imap
