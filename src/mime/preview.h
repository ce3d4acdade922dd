// The PREVIEW of a message (IMAP RFC 8970, and JMAP's Email/preview later): the start of what
// its reader sees, as one line of plain UTF-8 text.
//
// Contract: pure; any input is accepted; the result is valid UTF-8 without control characters,
// at most kPreviewChars characters, empty when the message has no text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "mime/part_map.h"

namespace posthouse::mime {

inline constexpr size_t kPreviewChars = 200;     // RFC 8970 3: at most 256
inline constexpr size_t kPreviewRead = 16 * 1024;  // bytes of the part a preview reads

// The part a preview is made from: the first text/plain leaf, else the first text/html leaf;
// nullptr when the message has neither.
const PartEntry* preview_part(const PartMap& parts);

// The preview of `part` from its first bytes (`data`, at most kPreviewRead of its body as
// stored): decoded, HTML reduced to its text, quoted lines ("> ...") left out, white space
// collapsed, cut at kPreviewChars characters.
std::string make_preview(const PartEntry& part, std::string_view data);

}  // namespace posthouse::mime
