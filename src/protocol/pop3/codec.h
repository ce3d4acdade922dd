// POP3 codec (RFC 1939, CAPA/RESP-CODES RFC 2449, SASL RFC 5034, STLS RFC 2595,
// AUTH-RESP-CODE RFC 3206).
//
// Contract: parse_command() takes one command line without CRLF (frame with
// protocol::LineFramer at max_line) and returns a validated Command or an Error mapped by
// error_reply(). Message numbers are 1..2^32-1 decimal without sign; TOP's line count is
// 0..2^32-1; anything else (negative, "+1", "0x1", empty) is an error. Replies never contain
// caller text that can break a line. MultilineEncoder byte-stuffs RETR/TOP data (RFC 1939 3)
// in chunks without buffering the message. Pure; encoder objects are not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace posthouse::pop3 {

enum class Verb {
  kUser,
  kPass,
  kStat,
  kList,
  kRetr,
  kDele,
  kNoop,
  kRset,
  kQuit,
  kTop,
  kUidl,
  kCapa,
  kStls,
  kAuth,
};

struct Command {
  Verb verb = Verb::kNoop;
  std::string_view arg;                     // USER name, PASS password (secret), AUTH mechanism
  std::optional<uint32_t> msg;              // LIST/UIDL optional, RETR/DELE/TOP required
  uint32_t lines = 0;                       // TOP
  std::optional<std::string_view> initial;  // AUTH initial response ("=" = empty)
};

struct ParserOptions {
  size_t max_line = 255;  // RFC 2449 4: 255 octets including CRLF
};

// Views in the Command point into `line`.
base::Result<Command> parse_command(std::string_view line, const ParserOptions& opts = {});

// "+OK text\r\n"
std::string ok_reply(std::string_view text);
// "-ERR [CODE] text\r\n" (code without brackets; empty = none)
std::string err_reply(std::string_view code, std::string_view text);

// The one error -> reply mapping: codec errors keep their message; service errors get fixed
// texts and RESP-CODES: kUnauthenticated/kForbidden -> [AUTH], kConflict (field "lock") ->
// [IN-USE], kLimit (field "login") -> [LOGIN-DELAY], kTemporary/kIo/kInternal/kLimit ->
// [SYS/TEMP], kUnavailable -> [SYS/PERM], kNotFound -> "no such message".
std::string error_reply(const base::Error& e);

struct CapaOptions {
  bool stls = false;              // offer before TLS only
  bool user = true;               // USER/PASS allowed now
  std::vector<std::string> sasl;  // e.g. {"PLAIN"}
  std::string implementation = "Posthouse";
  std::optional<uint32_t> expire_days;  // EXPIRE policy if any
};
std::string capa_reply(const CapaOptions& o);

// Streams a multi-line response body: stuffs '.' at line starts and, on finish(), makes sure
// the data ends with CRLF and appends the ".\r\n" terminator. Input should be CRLF text (as the
// store keeps it); a bare LF is sent as CRLF so stuffing and the terminator mean the same to
// every client. A bare CR is data.
class MultilineEncoder {
 public:
  void feed(std::string_view data, std::string& out);
  void finish(std::string& out);

 private:
  bool at_line_start_ = true;
  bool last_cr_ = false;
  bool empty_ = true;
};

// For TOP n m: the prefix of a CRLF message holding the header, the blank line and at most
// `body_lines` body lines (RFC 1939 7). A message without a blank line is all header.
std::string_view top_prefix(std::string_view message, uint32_t body_lines);

}  // namespace posthouse::pop3
