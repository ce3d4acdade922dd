// PartMap: where each IMAP body section of a stored message lies in its raw bytes, so
// BODY[section]<partial> and BINARY[section] are served by a byte-range read of the blob,
// without reparsing.
//
// Sections follow RFC 3501/9051 section 6.4.5: "" is the whole message (its HEADER and TEXT
// are the message header and body); "1", "1.2" are parts; for a non-multipart message (or
// encapsulated message) part "1" is its body and "1.MIME" its header. A part holding a
// message/rfc822 (or message/global) also has HEADER and TEXT ranges.
//
// Contract: value type, thread-compatible. serialize() output is stable across versions
// ("v1" prefix); parse() rejects anything else with Errc::kInvalid.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace posthouse::mime {

struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
  bool operator==(const ByteRange&) const = default;
};

struct PartEntry {
  std::string section;      // "" for the message itself, "1", "1.2", ...
  ByteRange header;         // the part's MIME header (the message header for "")
  ByteRange body;           // the part's content
  bool is_message = false;  // message/rfc822 or message/global (and the root entry)
  ByteRange msg_header;     // encapsulated message header (is_message only)
  ByteRange msg_body;       // encapsulated message body (is_message only)
  std::string media;        // "text/plain" (lowercase, token characters only)
  std::string encoding;     // "7bit", "base64", ... (lowercase)
  std::string charset;      // lowercase, may be empty
  bool operator==(const PartEntry&) const = default;
};

// The form PartEntry::media, encoding and charset take (and keep through serialize/parse):
// lower case, only [a-z0-9-_./+]; anything else in the header is dropped.
std::string part_token(std::string_view s);

class PartMap {
 public:
  std::vector<PartEntry>& entries() { return entries_; }
  const std::vector<PartEntry>& entries() const { return entries_; }

  const PartEntry* find(std::string_view section) const;

  // Resolves an IMAP section spec without field list: "", "HEADER", "TEXT", "1.2", "1.2.MIME",
  // "3.HEADER", "3.TEXT" (case-insensitive). kNotFound when the part does not exist,
  // kInvalid for a malformed spec or HEADER/TEXT of a part that is not a message.
  base::Result<ByteRange> resolve(std::string_view spec) const;

  std::string serialize() const;
  static base::Result<PartMap> parse(std::string_view data);

 private:
  std::vector<PartEntry> entries_;
};

}  // namespace posthouse::mime
