#include "protocol/imap/types.h"

#include <fmt/format.h>

#include <algorithm>

namespace posthouse::imap {

using base::Errc;
using base::make_error;

namespace {

constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

base::Error bad(std::string m) { return make_error(Errc::kInvalid, std::move(m), "syntax"); }

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int to_int(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// nz-number up to 2^32-1 or "*".
std::optional<uint32_t> seq_number(std::string_view s) {
  if (s == "*") return SeqRange::kStar;
  if (!digits(s) || s.size() > 10 || s[0] == '0') return std::nullopt;
  uint64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  if (v > 0xFFFFFFFFull) return std::nullopt;
  return static_cast<uint32_t>(v);
}

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

}  // namespace

std::vector<SeqRange> SequenceSet::normalized(uint32_t max) const {
  std::vector<SeqRange> out;
  out.reserve(ranges.size());
  for (auto r : ranges) {
    uint32_t a = r.first == SeqRange::kStar ? max : r.first;
    uint32_t b = r.last == SeqRange::kStar ? max : r.last;
    out.push_back({std::min(a, b), std::max(a, b)});
  }
  return out;
}

bool SequenceSet::contains(uint32_t n, uint32_t max) const {
  for (auto r : normalized(max)) {
    if (n >= r.first && n <= r.last) return true;
  }
  return false;
}

base::Result<SequenceSet> parse_sequence_set(std::string_view s, size_t max_ranges) {
  SequenceSet set;
  if (s == "$") {
    set.saved = true;
    return set;
  }
  if (s.empty()) return bad("Empty sequence set");
  size_t pos = 0;
  while (true) {
    size_t comma = s.find(',', pos);
    std::string_view item = s.substr(pos, comma == std::string_view::npos ? s.npos : comma - pos);
    if (set.ranges.size() >= max_ranges) return bad("Sequence set too long");
    size_t colon = item.find(':');
    SeqRange r;
    auto a = seq_number(item.substr(0, colon));
    if (!a) return bad("Invalid sequence set");
    r.first = r.last = *a;
    if (colon != std::string_view::npos) {
      auto b = seq_number(item.substr(colon + 1));
      if (!b) return bad("Invalid sequence set");
      r.last = *b;
    }
    set.ranges.push_back(r);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return set;
}

std::string format_sequence_set(const SequenceSet& s) {
  if (s.saved) return "$";
  std::string out;
  auto num = [&](uint32_t v) {
    if (v == SeqRange::kStar) {
      out += '*';
    } else {
      fmt::format_to(std::back_inserter(out), "{}", v);
    }
  };
  for (size_t i = 0; i < s.ranges.size(); ++i) {
    if (i) out += ',';
    num(s.ranges[i].first);
    if (s.ranges[i].last != s.ranges[i].first) {
      out += ':';
      num(s.ranges[i].last);
    }
  }
  return out;
}

base::Result<Date> parse_date(std::string_view s) {
  size_t d1 = s.find('-');
  if (d1 == std::string_view::npos || d1 == 0 || d1 > 2) return bad("Invalid date");
  std::string_view day = s.substr(0, d1);
  if (s.size() != d1 + 9 || s[d1 + 4] != '-') return bad("Invalid date");
  std::string_view mon = s.substr(d1 + 1, 3);
  std::string_view year = s.substr(d1 + 5, 4);
  if (!digits(day) || !digits(year)) return bad("Invalid date");
  Date d;
  d.day = to_int(day);
  d.year = to_int(year);
  d.month = 0;
  for (int i = 0; i < 12; ++i) {
    std::string_view m = kMonths[i];
    if ((mon[0] | 0x20) == (m[0] | 0x20) && (mon[1] | 0x20) == (m[1] | 0x20) &&
        (mon[2] | 0x20) == (m[2] | 0x20))
      d.month = i + 1;
  }
  if (d.month == 0 || d.day < 1 || d.day > days_in_month(d.year, d.month))
    return bad("Invalid date");
  return d;
}

base::Result<DateTime> parse_date_time(std::string_view s) {
  // "dd-Mon-yyyy hh:mm:ss +zzzz" is 26 characters; day may be " d".
  if (s.size() != 26) return bad("Invalid date-time");
  std::string_view date = s.substr(0, 11);
  if (date[0] == ' ') date.remove_prefix(1);
  auto d = parse_date(date);
  if (!d.ok()) return bad("Invalid date-time");
  if (s[11] != ' ' || s[14] != ':' || s[17] != ':' || s[20] != ' ' ||
      (s[21] != '+' && s[21] != '-'))
    return bad("Invalid date-time");
  std::string_view hh = s.substr(12, 2), mm = s.substr(15, 2), ss = s.substr(18, 2),
                   zone = s.substr(22, 4);
  if (!digits(hh) || !digits(mm) || !digits(ss) || !digits(zone)) return bad("Invalid date-time");
  DateTime dt;
  dt.date = *d;
  dt.hour = to_int(hh);
  dt.minute = to_int(mm);
  dt.second = to_int(ss);
  int zh = to_int(zone.substr(0, 2)), zm = to_int(zone.substr(2));
  if (dt.hour > 23 || dt.minute > 59 || dt.second > 60 || zh > 23 || zm > 59)
    return bad("Invalid date-time");
  dt.zone_minutes = (zh * 60 + zm) * (s[21] == '-' ? -1 : 1);
  return dt;
}

std::string format_date_time(const DateTime& dt) {
  int z = dt.zone_minutes < 0 ? -dt.zone_minutes : dt.zone_minutes;
  int m = std::clamp(dt.date.month, 1, 12);
  return fmt::format("{:02d}-{}-{:04d} {:02d}:{:02d}:{:02d} {}{:02d}{:02d}", dt.date.day,
                     kMonths[m - 1], dt.date.year, dt.hour, dt.minute, dt.second,
                     dt.zone_minutes < 0 ? '-' : '+', z / 60, z % 60);
}

}  // namespace posthouse::imap
