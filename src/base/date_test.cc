#include "base/date.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace posthouse::base {
namespace {

TEST(Rfc5322Date, UtcByDefault) {
  EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(1796687313), "Mon, 07 Dec 2026 23:48:33 +0000");
  EXPECT_EQ(rfc5322_date(951782400), "Tue, 29 Feb 2000 00:00:00 +0000");
}

TEST(Rfc5322Date, LocalZoneWithItsOffset) {
  const char* saved = std::getenv("TZ");
  std::optional<std::string> old = saved ? std::optional<std::string>(saved) : std::nullopt;
  setenv("TZ", "EST5", 1);  // POSIX form: no zone files needed
  tzset();
  std::string west = rfc5322_date(0, true);
  setenv("TZ", "IST-5:30", 1);
  tzset();
  std::string east = rfc5322_date(0, true);
  if (old) {
    setenv("TZ", old->c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
  EXPECT_EQ(west, "Wed, 31 Dec 1969 19:00:00 -0500");
  EXPECT_EQ(east, "Thu, 01 Jan 1970 05:30:00 +0530");
}

}  // namespace
}  // namespace posthouse::base
