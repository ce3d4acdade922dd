// Content-Transfer-Encoding decoding for FETCH BINARY[] (RFC 3516): the part's content as
// the sender's original octets.
//
// Contract: pure and bounded (output never longer than input); thread-safe.
// decode_cte() knows 7bit, 8bit, binary (identity), base64 (characters outside the alphabet
// are skipped, RFC 2045 6.8) and quoted-printable (soft line breaks removed, invalid escapes
// kept literally, RFC 2045 6.7 note 1); any other encoding is kInvalid (the caller answers
// NO [UNKNOWN-CTE]).
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace posthouse::server::imap {

base::Result<std::string> decode_cte(std::string_view encoding, std::string_view data);

}  // namespace posthouse::server::imap
