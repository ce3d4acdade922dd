// IMAP response formatting (RFC 3501/9051 section 7) and the one error -> response mapping.
//
// Contract: helpers append to a caller-owned std::string (no allocation when it has capacity).
// Strings are emitted in the safest valid form: atom only where the grammar allows an atom
// (append_astring), quoted when the text has no CR/LF/NUL/'"'-issues and no 8-bit bytes (or
// 8-bit UTF-8 when `utf8` is set, RFC 9051/6855), otherwise a literal {n} (literal8 ~{n} when
// it contains NUL). Free text in OK/NO/BAD/BYE has CR, LF and NUL replaced so a caller's
// message can never inject a response line. Pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace posthouse::imap {

enum class Cond { kOk, kNo, kBad, kBye, kPreauth };

// "tag OK [CODE] text\r\n"; code without brackets ("" = none), e.g. "READ-WRITE",
// "APPENDUID 38505 3955", "TOOBIG".
void append_tagged(std::string& out, std::string_view tag, Cond c, std::string_view code,
                   std::string_view text);
// "* OK [CODE] text\r\n" (also BYE, PREAUTH).
void append_status(std::string& out, Cond c, std::string_view code, std::string_view text);
// "* <data>\r\n" — data is caller-built protocol text (already quoted where needed).
void append_untagged(std::string& out, std::string_view data);
// "+ text\r\n"
void append_continuation(std::string& out, std::string_view text);

void append_quoted_or_literal(std::string& out, std::string_view s, bool utf8 = false);
void append_astring(std::string& out, std::string_view s, bool utf8 = false);
void append_nstring(std::string& out, std::optional<std::string_view> s, bool utf8 = false);
// "(a b c)" of flags or other atoms as given (system flags keep their backslash).
void append_flag_list(std::string& out, const std::vector<std::string_view>& flags);

// Literal forms, used for message bodies: {n}CRLF<bytes> / ~{n}CRLF<bytes>.
void append_literal(std::string& out, std::string_view s);
void append_literal8(std::string& out, std::string_view s);

// Tagged response for an error, the single mapping for the IMAP server:
//   syntax/limit errors from the codec (field "syntax", "line", "literal") -> BAD
//   kNotFound -> NO [NONEXISTENT], kConflict -> NO [ALREADYEXISTS] (field "mailbox") or NO,
//   kForbidden -> NO [NOPERM], kUnauthenticated -> NO [AUTHENTICATIONFAILED],
//   kLimit -> NO [LIMIT] (field "quota" -> [OVERQUOTA]), kTooLarge -> NO [TOOBIG],
//   kTemporary/kUnavailable -> NO [UNAVAILABLE], kIo/kInternal -> NO [SERVERBUG].
// Service errors get fixed texts (nothing internal leaks); codec errors keep their message.
std::string error_response(std::string_view tag, const base::Error& e);

}  // namespace posthouse::imap
