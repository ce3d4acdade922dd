// The text IMAP SEARCH BODY matches (and TEXT, after the header): what a reader sees of the
// message, not its transfer encoding. The search index stores exactly this, and the linear
// scan computes it the same way, so both give the same answers.
//
// Contract: pure; bounded by `max` output bytes; any input is accepted.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "mime/part_map.h"

namespace posthouse::mime {

inline constexpr size_t kSearchTextMax = 4u << 20;

// Every text part (text/*, or a part without a type) that is not an attachment's container:
// Content-Transfer-Encoding decoded, converted from its charset to UTF-8 (left as it is when the
// charset is unknown or the bytes do not convert), parts separated by a line break; at most
// `max` bytes (the rest is not searched).
std::string body_search_text(std::string_view raw, const PartMap& parts,
                             size_t max = kSearchTextMax);

// One part's content as text: `data` (its body bytes as stored, possibly cut short) with the
// part's Content-Transfer-Encoding decoded and its charset converted to UTF-8 (as it is when
// the charset is unknown or the bytes do not convert).
std::string part_text(const PartEntry& e, std::string_view data);

}  // namespace posthouse::mime
