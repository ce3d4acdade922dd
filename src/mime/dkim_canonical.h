// DKIM canonicalization (RFC 6376 section 3.4): the header/body split, the header fields as a
// signer or verifier selects them, and the simple and relaxed forms of a header field and of
// the body. Shared by the signer (queue/dkim.h) and the verifier (antispam/dkim_verifier.h),
// so both hash exactly the same bytes.
//
// Contract: pure functions over caller-owned bytes; thread-safe; never fail. Lines may end in
// CRLF or a bare LF: both are read as CRLF (what SMTP puts on the wire), and a CR before the
// LF is part of the line end, any other CR is data.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace posthouse::mime {

enum class DkimCanon { kSimple, kRelaxed };

// The fields our signers sign (DKIM in queue/dkim.h, ARC in antispam/arc_sealer.h), each
// instance present: what a reader sees and what lists add, never trace fields.
// clang-format off
inline constexpr std::string_view kDkimSignedFields[] = {
    "from", "to", "cc", "subject", "date", "message-id", "reply-to", "in-reply-to",
    "references", "mime-version", "content-type", "content-transfer-encoding", "list-id",
    "list-unsubscribe", "list-unsubscribe-post"};
// clang-format on

// One header field: its name as written (everything before the first colon) and its raw value
// (everything after the colon, continuation lines joined by CRLF, no final CRLF).
struct DkimField {
  std::string name;
  std::string value;
};

// The message split at the first empty line. Lines before it that are neither a field nor a
// continuation (no colon) are skipped, as every reader does. At most `max_fields` fields are
// read; `too_many_fields` tells that the header had more (the caller decides what that means).
struct DkimSplit {
  std::vector<DkimField> fields;
  std::string_view body;  // after the empty line; empty when there is none
  bool too_many_fields = false;
};
DkimSplit dkim_split(std::string_view message, std::size_t max_fields);

// A header field in canonical form, ending in CRLF (RFC 6376 3.4.1 and 3.4.2). Relaxed:
// lower-case name, unfolded value, WSP runs as one SP, no WSP at either end of the value.
// Simple: the field as written.
std::string dkim_canonical_header(DkimCanon c, std::string_view name, std::string_view value);
inline std::string dkim_relaxed_header(std::string_view name, std::string_view value) {
  return dkim_canonical_header(DkimCanon::kRelaxed, name, value);
}

// The body in canonical form (RFC 6376 3.4.3 and 3.4.4): CRLF lines, no trailing empty lines.
// Simple: an empty body is one CRLF. Relaxed: WSP runs as one SP, none at line ends; an empty
// body stays empty.
std::string dkim_canonical_body(DkimCanon c, std::string_view body);
inline std::string dkim_relaxed_body(std::string_view body) {
  return dkim_canonical_body(DkimCanon::kRelaxed, body);
}

}  // namespace posthouse::mime
