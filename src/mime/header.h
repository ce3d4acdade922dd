// Header-level helpers of the MIME parser: unfolding, structured-field tokenising
// (Content-Type parameters, address lists), RFC 2047 decoding (GMime) and RFC 5322 dates.
//
// Contract: pure functions over caller-owned bytes; thread-safe (GMime is initialised once,
// on first use, behind std::call_once). Every function tolerates malformed input and returns
// the best reading it can: mail on disk is never rejected here, it is only described.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace posthouse::mime {

// One header field as found in the message: name and raw value (everything after the colon,
// folding line breaks included), both views into the message buffer.
struct HeaderField {
  std::string_view name;
  std::string_view raw;
};

// RFC 5322 unfolding: removes CR and LF (keeping the folding whitespace) and trims the ends.
std::string unfold(std::string_view raw);

// First field named `name` (case-insensitive), unfolded; nullopt when absent.
std::optional<std::string> find_field(const std::vector<HeaderField>& fields,
                                      std::string_view name);

using Params = std::vector<std::pair<std::string, std::string>>;  // attribute, value (dequoted)

// "type/subtype; a=b; c="d"" → lowercase type and subtype (empty when missing or invalid)
// and the parameters in order. Comments are skipped.
struct ContentType {
  std::string type;
  std::string subtype;
  Params params;
};
ContentType parse_content_type(std::string_view value);

// "attachment; filename=x" → lowercase value and its parameters (Content-Disposition).
struct Disposition {
  std::string value;
  Params params;
};
Disposition parse_disposition(std::string_view value);

// Parameter value by attribute name (case-insensitive).
std::optional<std::string> find_param(const Params& params, std::string_view name);

// One entry of an RFC 5322 address list as IMAP ENVELOPE needs it. A group is written as a
// start entry (mailbox = group name, host absent) and an end entry (all absent).
struct Address {
  enum class Kind { kMailbox, kGroupStart, kGroupEnd };
  Kind kind = Kind::kMailbox;
  std::optional<std::string> name;     // display name, dequoted, encoded words kept
  std::optional<std::string> adl;      // obsolete source route "@a,@b"
  std::optional<std::string> mailbox;  // local part (group name for kGroupStart)
  std::optional<std::string> host;     // domain ("" when the address had none)
};
// Lenient: never fails; junk yields fewer entries. At most `max_entries` are returned.
std::vector<Address> parse_address_list(std::string_view value, size_t max_entries = 1000);

// RFC 2047 encoded words and raw 8-bit text → UTF-8 (via GMime). Fast path for plain ASCII.
std::string decode_text(std::string_view value);

// RFC 5322 date-time (obsolete forms and zone names included) → seconds since the epoch, UTC.
std::optional<int64_t> parse_date(std::string_view value);

// Message-IDs ("<a@b>") found in a References / In-Reply-To value, in order, bounded.
std::vector<std::string> parse_msg_ids(std::string_view value, size_t max_ids = 500);

// BODY[HEADER.FIELDS (names)] / BODY[HEADER.FIELDS.NOT (names)] (RFC 3501 6.4.5): the fields
// of `header_block` (a header as the part map gives it) whose names are (or, with exclude, are
// not) in `names`, continuation lines included, followed by the blank line.
std::string filter_header_fields(std::string_view header_block,
                                 const std::vector<std::string>& names, bool exclude);

// IMAP string formatting shared by ENVELOPE and BODYSTRUCTURE (RFC 3501/9051 section 4.3):
// a quoted string when the text is 7-bit without CR/LF, a literal otherwise; NUL dropped.
void append_string(std::string& out, std::string_view s);
void append_nstring(std::string& out, const std::optional<std::string>& s);
// Uppercased quoted string (media types, parameter names).
void append_upper_string(std::string& out, std::string_view s);

}  // namespace posthouse::mime
