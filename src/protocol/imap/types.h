// IMAP value types shared by the command parser and the servers: sequence sets, dates,
// and their parsers (RFC 3501/9051 formal syntax).
//
// Contract: parsers are pure and bounded; they accept exactly the grammar (e.g. seq-number is
// 1..2^32-1 or "*"; "0", "1:0x" and values >= 2^32 are errors) and never throw.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace posthouse::imap {

// One element of a sequence set as written: "5", "*", "5:3", "*:1". kStar stands for "*"
// (the largest number in use); 0 is never a valid seq-number, so it can encode "*".
// Ranges keep their written order: "5:3" means 3..5 (RFC 3501 9), see normalized().
struct SeqRange {
  static constexpr uint32_t kStar = 0;
  uint32_t first = 1;
  uint32_t last = 1;
};

struct SequenceSet {
  std::vector<SeqRange> ranges;
  bool saved = false;  // "$" (RFC 5182 SEARCHRES): the server substitutes the saved result

  // Resolves "*" to `max` and orders each range low..high. An empty mailbox (max == 0) maps
  // "*" to 0, which the caller treats as "no message".
  std::vector<SeqRange> normalized(uint32_t max) const;
  bool contains(uint32_t n, uint32_t max) const;
};

// Parses a sequence-set or "$". At most `max_ranges` comma-separated elements.
base::Result<SequenceSet> parse_sequence_set(std::string_view s, size_t max_ranges = 10000);
std::string format_sequence_set(const SequenceSet& s);

struct Date {
  int year = 1970, month = 1, day = 1;
};
struct DateTime {
  Date date;
  int hour = 0, minute = 0, second = 0;
  int zone_minutes = 0;  // offset east of UTC, e.g. +0200 -> 120
};

// date: "1-Feb-2024" / "01-Feb-2024" (quotes removed by the caller).
base::Result<Date> parse_date(std::string_view s);
// date-time: "dd-Mon-yyyy hh:mm:ss +zzzz", day may be space-padded (" 1-Feb-2024 ...").
base::Result<DateTime> parse_date_time(std::string_view s);
// "01-Feb-2024 10:00:00 +0000" form used in INTERNALDATE responses (without quotes).
std::string format_date_time(const DateTime& dt);

}  // namespace posthouse::imap
