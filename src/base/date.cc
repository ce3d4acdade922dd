#include "base/date.h"

#include <fmt/format.h>

#include <ctime>

namespace posthouse::base {

std::string rfc5322_date(int64_t unix_seconds, bool local_zone) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (local_zone) {
    localtime_r(&t, &tm);
  } else {
    gmtime_r(&t, &tm);
  }
  long offset = local_zone ? tm.tm_gmtoff / 60 : 0;  // minutes east of UTC
  char sign = offset < 0 ? '-' : '+';
  if (offset < 0) offset = -offset;
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} {}{:02}{:02}", kDays[tm.tm_wday % 7],
                     tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, sign, offset / 60, offset % 60);
}

}  // namespace posthouse::base
