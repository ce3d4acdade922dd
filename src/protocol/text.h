// Shared, pure helpers for the protocol codecs (smtp/, imap/, pop3/): command-line framing,
// UTF-8 validation, base64 and SASL PLAIN/LOGIN decoding.
//
// Contract: every function is pure and thread-safe; every output is bounded by an explicit
// limit argument; nothing throws. Decoded credentials hold secrets: callers must never log them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/strings.h"

namespace posthouse::protocol {

// True if s is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
bool valid_utf8(std::string_view s);

// Frames command lines out of a byte stream. A line ends at LF; a preceding CR is removed and
// `bare_lf` says whether it was missing (the caller decides whether to accept that). A line
// longer than `max_line` bytes (terminator included) yields kTooLong once, then the framer
// discards bytes up to and including the next LF, so the session stays in sync after a 1 MB
// line without buffering it. The framer never owns the buffer: `consumed` tells the caller how
// many bytes to drop; `line` points into the caller's buffer and is valid until it changes.
// Call next() in a loop while it returns kLine/kTooLong or consumes bytes; kNeedMore with
// consumed == 0 means: read more input.
class LineFramer {
 public:
  enum class Kind { kNeedMore, kLine, kTooLong };
  struct Event {
    Kind kind = Kind::kNeedMore;
    size_t consumed = 0;
    std::string_view line;
    bool bare_lf = false;
  };

  explicit LineFramer(size_t max_line) : max_line_(max_line) {}
  Event next(std::string_view buf);
  void set_max_line(size_t n) { max_line_ = n; }
  size_t max_line() const { return max_line_; }

 private:
  size_t max_line_;
  bool discarding_ = false;
};

// A text command line split into its verb and the rest. Checks the line (without CRLF)
// against max_line (CRLF included) and refuses NUL, CR and LF inside it; errors carry field
// "line" (kTooLarge / kInvalid). `has_rest` tells "NOOP" from "NOOP ".
struct VerbLine {
  std::string_view verb;
  std::string_view rest;
  bool has_rest = false;
};
base::Result<VerbLine> split_verb_line(std::string_view line, size_t max_line);

// Case-insensitive lookup of a protocol keyword in a table of entries with a `name` member
// (verb tables, search keys). Returns nullptr when absent.
template <class Entry, size_t N>
const Entry* find_keyword(const Entry (&table)[N], std::string_view word) {
  for (const auto& e : table) {
    if (base::iequals(e.name, word)) return &e;
  }
  return nullptr;
}

// Value of a base64 digit (0..63) or -1; `c63` is '/' (RFC 4648) or ',' (modified UTF-7).
int base64_digit(char c, char c63 = '/');

// Standard base64 (RFC 4648, padded). Decoding rejects whitespace, bad characters, bad padding
// and outputs longer than max_out (kTooLarge).
std::string base64_encode(std::string_view in);
base::Result<std::string> base64_decode(std::string_view in, size_t max_out);

// SASL PLAIN (RFC 4616) message: authzid NUL authcid NUL passwd, each UTF-8, authcid and
// passwd non-empty, no further NUL; authzid/authcid at most 255 bytes, passwd at most 1024.
struct PlainCredentials {
  std::string authzid;  // empty = act as authcid
  std::string authcid;
  std::string password;  // secret: never log
};
base::Result<PlainCredentials> decode_sasl_plain(std::string_view base64);

// One step of SASL LOGIN (username or password, base64): UTF-8, no NUL, at most 1024 bytes.
base::Result<std::string> decode_sasl_login_step(std::string_view base64);

// True for the SASL cancel line "*" (RFC 4954, 3501, 5034).
inline bool is_sasl_cancel(std::string_view line) { return line == "*"; }

}  // namespace posthouse::protocol
