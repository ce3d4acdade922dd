// SMTP replies (RFC 5321 4.2) with enhanced status codes (RFC 2034, 3463), the EHLO
// capability list, and the one mapping from internal errors to wire replies.
//
// Contract: format_reply() always produces well-formed wire text: every line is
// "ddd-" / "ddd " + optional "x.y.z " + text + CRLF, and CR, LF and NUL inside text are replaced
// by spaces so that no caller-supplied text can inject a reply line. Pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace posthouse::smtp {

struct Reply {
  int code = 250;                      // 200..599
  std::string status;                  // enhanced status "2.1.0"; empty = none
  std::vector<std::string> lines{""};  // at least one line; text only

  // Wire form. `enhanced` false omits the status (client did not get ENHANCEDSTATUSCODES,
  // e.g. replies before EHLO, or the greeting, RFC 2034 3).
  std::string wire(bool enhanced = true) const;
  bool positive() const { return code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
};

// Appends the wire form to `out` (no allocation when `out` has capacity).
void format_reply(std::string& out, int code, std::string_view status,
                  const std::vector<std::string>& lines);
Reply make_reply(int code, std::string_view status, std::string_view text);

struct EhloOptions {
  std::string hostname;  // first line: "<hostname> <greeting>"
  std::string greeting = "Posthouse";
  std::optional<uint64_t> size;  // SIZE n (0 = no fixed limit, RFC 1870)
  bool pipelining = true;
  bool eight_bit_mime = true;
  bool smtputf8 = true;
  bool enhanced_status_codes = true;
  bool chunking = true;
  bool binary_mime = true;  // only meaningful with chunking (RFC 3030)
  bool dsn = true;
  bool starttls = false;                     // offer only before TLS
  std::vector<std::string> auth_mechanisms;  // empty = no AUTH line (e.g. before TLS)
};
Reply ehlo_reply(const EhloOptions& o);

// The one error → reply mapping. Parser errors are classified by Error::field (see command.h,
// data_decoder.h); other errors by Errc. The error message is used as text only for parser
// errors (they never contain secrets); service errors get fixed texts so nothing internal leaks.
Reply error_reply(const base::Error& e);

}  // namespace posthouse::smtp
