// Modified UTF-7 mailbox names (RFC 3501 5.1.3) and mailbox-name checks.
//
// Contract: mutf7_decode() is strict: it accepts only the canonical encoding that
// mutf7_encode() produces (printable ASCII other than '&' is never base64-encoded, shifts end
// with '-', no empty or adjacent shifts, zero padding bits, valid UTF-16 surrogates), so one
// folder has exactly one wire name. Pure and thread-safe; output length is bounded by input.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace posthouse::imap {

// UTF-8 -> modified UTF-7. Errors (kInvalid) on malformed UTF-8 and on NUL/control characters.
base::Result<std::string> mutf7_encode(std::string_view utf8);
// Modified UTF-7 -> UTF-8. Errors (kInvalid, field "mailbox") on any non-canonical input.
base::Result<std::string> mutf7_decode(std::string_view mutf7);

// Checks a decoded (UTF-8) mailbox name before it reaches the store: non-empty, at most
// `max_len` bytes, valid UTF-8, no control characters (NUL, CR, LF...), and with `delimiter`
// no empty, "." or ".." components and no leading/trailing delimiter. "INBOX" is matched
// case-insensitively by the caller, not here.
base::Status check_mailbox_name(std::string_view utf8, char delimiter = '/', size_t max_len = 1024);

}  // namespace posthouse::imap
