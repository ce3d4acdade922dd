#include "protocol/imap/types.h"

#include <gtest/gtest.h>

namespace posthouse::imap {
namespace {

TEST(SequenceSet, ValidForms) {
  auto s = parse_sequence_set("1,3:5,*,*:1,5:3,4294967295");
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->ranges.size(), 6u);
  EXPECT_EQ(s->ranges[2].first, SeqRange::kStar);
  EXPECT_EQ(s->ranges[3].first, SeqRange::kStar);
  EXPECT_EQ(s->ranges[3].last, 1u);
  EXPECT_EQ(s->ranges[5].first, 4294967295u);
  EXPECT_EQ(format_sequence_set(*s), "1,3:5,*,*:1,5:3,4294967295");
  auto n = s->normalized(10);
  EXPECT_EQ(n[2].first, 10u);
  EXPECT_EQ(n[3].first, 1u);
  EXPECT_EQ(n[3].last, 10u);
  EXPECT_EQ(n[4].first, 3u);
  EXPECT_EQ(n[4].last, 5u);
  EXPECT_TRUE(s->contains(4, 10));
  EXPECT_FALSE(parse_sequence_set("5:3")->contains(6, 10));
  EXPECT_TRUE(parse_sequence_set("$")->saved);
}

TEST(SequenceSet, InvalidForms) {
  for (const char* bad : {"", "0", "0:5", "1:0", "1:0x", "4294967296", "99999999999", "1,", ",1",
                          "1::2", "1:2:3", "a", "-1", "01", "1 2", "*:", ":5", "$,1"}) {
    EXPECT_FALSE(parse_sequence_set(bad).ok()) << bad;
  }
  EXPECT_FALSE(parse_sequence_set("1,2,3", 2).ok());
}

TEST(Dates, ParseDate) {
  auto d = parse_date("1-Feb-2024");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->day, 1);
  EXPECT_EQ(d->month, 2);
  EXPECT_EQ(d->year, 2024);
  EXPECT_TRUE(parse_date("29-feb-2024").ok());
  EXPECT_FALSE(parse_date("29-Feb-2023").ok());
  EXPECT_FALSE(parse_date("0-Jan-2024").ok());
  EXPECT_FALSE(parse_date("123-Jan-2024").ok());
  EXPECT_FALSE(parse_date("1-Jan-24").ok());
  EXPECT_FALSE(parse_date("1 Jan 2024").ok());
  EXPECT_FALSE(parse_date("").ok());
}

TEST(Dates, ParseAndFormatDateTime) {
  auto dt = parse_date_time("17-Jul-1996 02:44:25 -0700");
  ASSERT_TRUE(dt.ok());
  EXPECT_EQ(dt->hour, 2);
  EXPECT_EQ(dt->zone_minutes, -420);
  EXPECT_EQ(format_date_time(*dt), "17-Jul-1996 02:44:25 -0700");
  auto sp = parse_date_time(" 7-Jul-1996 02:44:25 +0530");
  ASSERT_TRUE(sp.ok());
  EXPECT_EQ(sp->zone_minutes, 330);
  EXPECT_EQ(format_date_time(*sp), "07-Jul-1996 02:44:25 +0530");
  for (const char* bad :
       {"17-Jul-1996 24:00:00 +0000", "17-Jul-1996 02:60:00 +0000", "17-Jul-1996 02:44:25 0700",
        "17-Jul-1996 02:44 +0700", "17-Jul-1996T02:44:25 +0700", "7-Jul-1996 02:44:25 +0000",
        "17-Jul-1996 02:44:25 +2400"}) {
    EXPECT_FALSE(parse_date_time(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace posthouse::imap
