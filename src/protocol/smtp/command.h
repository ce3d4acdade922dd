// SMTP command-line parser (RFC 5321, with ESMTP parameters from RFC 1870 SIZE, 6152 8BITMIME,
// 3030 BDAT/BINARYMIME, 6531 SMTPUTF8, 3461 DSN, 4954 AUTH).
//
// Contract: parse_command() takes ONE command line without its CRLF (see protocol::LineFramer)
// and returns a fully validated Command or an Error whose `field` classifies it for
// error_reply() (reply.h): "command" unknown verb, "syntax" bad arguments, "address" bad path,
// "param" unknown/bad ESMTP parameter, "line" line too long or NUL/CR/LF inside. Pure,
// thread-safe, bounded by ParserOptions. It does not know the session state: whether a command
// is allowed now (MAIL before EHLO, AUTH before TLS, BODY=BINARYMIME without BDAT) is the
// server's decision.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "protocol/smtp/address.h"

namespace posthouse::smtp {

enum class Verb {
  kHelo,
  kEhlo,
  kMail,
  kRcpt,
  kData,
  kBdat,
  kRset,
  kNoop,
  kQuit,
  kVrfy,
  kHelp,
  kStartTls,
  kAuth,
};
std::string_view verb_name(Verb v);

enum class BodyType { kUnspecified, k7Bit, k8BitMime, kBinaryMime };
enum class DsnRet { kUnspecified, kFull, kHdrs };

// DSN NOTIFY (RFC 3461): a set; kNever excludes the others.
enum NotifyFlags : uint8_t {
  kNotifyNone = 0,
  kNotifyNever = 1,
  kNotifySuccess = 2,
  kNotifyFailure = 4,
  kNotifyDelay = 8,
};

struct MailParams {
  std::optional<uint64_t> size;  // SIZE=
  BodyType body = BodyType::kUnspecified;
  bool smtputf8 = false;              // SMTPUTF8
  DsnRet ret = DsnRet::kUnspecified;  // RET=
  std::string envid;                  // ENVID= (xtext decoded; printable ASCII, <= 100)
  std::optional<std::string> auth;    // AUTH= (xtext decoded; "<>" kept as "<>")
};

struct RcptParams {
  uint8_t notify = kNotifyNone;  // NotifyFlags
  std::string orcpt_type;        // ORCPT= address type, lower-cased ("rfc822", "utf-8")
  std::string orcpt_address;     // xtext (or utf-8-addr) decoded
};

struct Command {
  Verb verb = Verb::kNoop;
  std::string arg;  // HELO/EHLO domain, VRFY string, HELP topic, NOOP text, AUTH mechanism
  Path path;        // MAIL FROM / RCPT TO
  MailParams mail;
  RcptParams rcpt;
  uint64_t bdat_size = 0;
  bool bdat_last = false;
  std::optional<std::string> auth_initial;  // AUTH initial response as sent ("=" = empty)
  bool helo_valid_domain = false;  // HELO/EHLO argument is a syntactically valid domain/literal
};

struct ParserOptions {
  size_t max_line = 512;  // RFC 5321 4.5.3.1.4, CRLF included; raise for long ESMTP params
  AddressLimits address;
  uint64_t max_bdat_chunk = uint64_t{1} << 40;  // sanity bound on a BDAT chunk size
};

base::Result<Command> parse_command(std::string_view line, const ParserOptions& opts = {});

// RFC 3461 xtext: "+" HEX HEX for any char outside %d33-126 and '+', '='.
base::Result<std::string> xtext_decode(std::string_view in);
std::string xtext_encode(std::string_view in);

// DSN parameters passed on to a next hop (RFC 3461 4, 5.2): "SUCCESS,FAILURE" (NEVER alone;
// "" for kNotifyNone), and the ORCPT value "type;address" with the address encoded for its
// type: xtext for rfc822, utf-8-addr-xtext (RFC 6533: "\x{HEX}" for every non-ASCII code
// point and for '+', '=' and controls; a "\x{HEX}" received stays as it was) for other types.
std::string notify_value(uint8_t notify);
std::string orcpt_value(std::string_view type, std::string_view address);

}  // namespace posthouse::smtp
