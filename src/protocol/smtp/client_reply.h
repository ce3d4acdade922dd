// The client side of SMTP replies (RFC 5321 4.2): parsing what a remote server answers, and
// its EHLO capability list. Used by the outbound SMTP client (src/queue).
//
// Contract: pure and bounded. A reply is at most `max_lines` lines; each line is checked
// (three digits 2xx-5xx, then ' ', '-' or end of line; every line of a multiline reply carries
// the same code). Anything else is an Errc::kInvalid protocol error: the caller treats the
// peer as broken (a temporary failure) and closes the connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace posthouse::smtp {

struct ServerReply {
  int code = 0;
  std::string status;               // enhanced status "5.1.1" when the peer sent one
  std::vector<std::string> lines;   // text after "ddd-" / "ddd "
  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500; }
  // "550 5.1.1 No such user" (first line; for logs, queue errors and bounces).
  std::string summary() const;
};

class ReplyParser {
 public:
  explicit ReplyParser(std::size_t max_lines = 100) : max_lines_(max_lines) {}
  // One line without its CRLF. Ok(true) when the reply is complete (then take() it).
  base::Result<bool> feed(std::string_view line);
  ServerReply take();

 private:
  std::size_t max_lines_;
  ServerReply cur_;
};

struct Extensions {
  bool pipelining = false;
  bool starttls = false;
  bool eight_bit_mime = false;
  bool smtputf8 = false;
  bool enhanced_status_codes = false;
  bool dsn = false;  // RFC 3461: NOTIFY, ORCPT, RET, ENVID may be passed on
  bool has_size = false;
  uint64_t size = 0;  // 0 = no limit announced
  std::vector<std::string> auth;  // mechanisms, upper case
};
// The first line is the server's name and greeting; every further line an extension.
Extensions parse_ehlo(const ServerReply& r);
// The domain the server names in a greeting or EHLO first line (lower case; "" if none).
std::string greeting_domain(const ServerReply& r);

}  // namespace posthouse::smtp
