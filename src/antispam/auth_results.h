// Authentication-Results header fields (RFC 8601): reading the authserv-id of a field a
// message arrived with, and removing the fields that claim to come from this server before
// it adds its own (RFC 8601 section 5: a receiver MUST remove, or rename, any such field).
//
// Contract:
// - authserv_id_of(): the authserv-id of an Authentication-Results value (the text after the
//   colon, folding included): leading CFWS skipped (comments nested at most 8 deep), then a
//   token or a quoted-string (RFC 2045 `value`); nullopt when there is none. Bounded by the
//   value's length; never fails otherwise.
// - method_result(): in a resinfo list as an Authentication-Results value or an
//   ARC-Authentication-Results payload carries it ("authserv-id; spf=pass ...; dmarc=pass
//   ..."), the result of the first resinfo of `method` (case-insensitive; a "/version" suffix
//   ignored), lower case; nullopt when there is none. Parts split at ';' outside comments
//   and quoted strings. Bounded by the payload's length.
// - header_end(): where the header section of a message ends (the offset just past the empty
//   line; the message's length when it has none). Lines may end in CRLF or a bare LF.
// - strip_claims(): the header section without every Authentication-Results field (any case of
//   the name, continuation lines included) whose authserv-id equals `authserv_id` ignoring
//   case; with `spam_fields`, every X-Spam-Status and X-Spam-Action field too (the server
//   writes its own when rspamd checked the message: a sender must not pass off a verdict).
//   Everything else is kept byte for byte. `removed` counts the fields taken out.
// - Pure; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace posthouse::antispam {

std::optional<std::string> authserv_id_of(std::string_view value);
std::optional<std::string> method_result(std::string_view payload, std::string_view method);

std::size_t header_end(std::string_view message);

std::string strip_claims(std::string_view header, std::string_view authserv_id,
                         std::size_t* removed = nullptr, bool spam_fields = false);

}  // namespace posthouse::antispam
