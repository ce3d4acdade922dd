// The MIME parser: one pass over a raw RFC 5322 message producing everything IMAP, POP3 and
// SEARCH/SORT/THREAD need precomputed, so the fetch paths never reparse a message.
//
// Contract:
// - parse() never fails: any byte string is a message (a malformed one is described as well as
//   possible, Dovecot-style: a multipart without a usable boundary gets one empty text/plain
//   part; parts nested deeper than Limits::max_depth become application/octet-stream leaves;
//   header fields past max_headers are kept in the header bytes but not interpreted).
//   `ParsedMessage::truncated` says a limit was hit.
// - Work is linear in the message size times the active multipart nesting (bounded); memory is
//   bounded by Limits (parts, header fields), never by attacker-chosen counts.
// - Offsets are in octets of the input exactly as given (CRLF or bare LF both accepted).
// - Pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/part_map.h"

namespace posthouse::mime {

struct Limits {
  size_t max_depth = 20;            // multipart/message nesting
  size_t max_parts = 1000;          // body parts described
  size_t max_headers = 1000;        // header fields interpreted per entity
  size_t max_header_value = 65536;  // bytes of one field considered (rest ignored)
};

// Decoded header values for SEARCH/SORT/THREAD (UTF-8, encoded words decoded).
struct HeaderSummary {
  std::string subject;                      // decoded
  std::string base_subject;                 // RFC 5256
  std::string from, to, cc, bcc;            // decoded header text
  std::string sort_from, sort_to, sort_cc;  // RFC 5256: first address's mailbox, lowercase
  std::string message_id;                   // "<id@host>", empty when absent
  std::string in_reply_to;                  // first msg-id, empty when absent
  std::vector<std::string> references;      // msg-ids in order
  std::optional<int64_t> date;              // Date: header, seconds since epoch UTC
};

struct ParsedMessage {
  std::string envelope;       // IMAP ENVELOPE, "(" ... ")"
  std::string bodystructure;  // IMAP BODYSTRUCTURE (with extension data)
  std::string body;           // IMAP BODY (no extension data)
  PartMap parts;
  HeaderSummary headers;
  uint64_t header_size = 0;  // octets of the top-level header, blank line included
  uint64_t size = 0;         // octets of the whole message
  bool truncated = false;    // a Limits bound was reached
};

ParsedMessage parse(std::string_view raw, const Limits& limits = {});

}  // namespace posthouse::mime
