#include "directory/mailbox_import.h"

#include <gtest/gtest.h>

#include <sstream>

#include "directory/test_world.h"

namespace posthouse::directory {
namespace {

using testing::must;

TEST(Csv, ParsesQuotedFields) {
  auto f = parse_csv_line(R"(a@b.example, "Doe, John" ,"staff","1""2")");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, (std::vector<std::string>{"a@b.example", "Doe, John", "staff", "1\"2"}));
  EXPECT_FALSE(parse_csv_line(R"(a,"open)").ok());
  EXPECT_FALSE(parse_csv_line(R"(a,b"c")").ok());
  EXPECT_FALSE(parse_csv_line(R"(a,"b"c)").ok());
  EXPECT_EQ(parse_csv_line("")->size(), 1u);
}

TEST(Csv, Sizes) {
  EXPECT_EQ(*parse_size("1024", "q"), 1024);
  EXPECT_EQ(*parse_size("100M", "q"), 100LL << 20);
  EXPECT_EQ(*parse_size("2g", "q"), 2LL << 30);
  EXPECT_EQ(*parse_size("1.5K", "q"), 1536);
  for (auto bad : {"", "M", "-1", "0", "1e9", "0x10", "ten", "1PB", "9999999T"})
    EXPECT_FALSE(parse_size(bad, "q").ok()) << bad;
}

class Import : public testing::World {};

TEST_F(Import, GoodRowsImportBrokenRowsAreReportedAndChangeNothing) {
  std::istringstream csv(
      "address,name,template,quota\r\n"
      "new1@a.example,\"One, New\",staff\r\n"
      "\n"
      "new2@a.example,Two,staff,50M\n"
      "broken-no-at,Bad,staff\n"
      "new3@a.example,Three\n"
      "new4@a.example,Four,nosuchtemplate\n"
      "bob@a.example,Dup,staff\n"
      "new5@a.example,\"unterminated,staff\n"
      "new6@a.example,Six,staff,lots\n"
      "new7@nowhere.example,Seven,staff\n"
      "new8@a.example,Eight,staff,1,extra\n"
      "用户@a.example,Unicode,staff\n");
  std::vector<std::pair<int, int>> seen;
  auto r = import_mailboxes(svc(), admin(), csv, [&](int d, int t) { seen.push_back({d, t}); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->imported, 3);
  ASSERT_EQ(r->rejected.size(), 8u);
  std::vector<int> lines;
  for (auto& x : r->rejected) lines.push_back(x.line);
  EXPECT_EQ(lines, (std::vector<int>{5, 6, 7, 8, 9, 10, 11, 12}));
  EXPECT_NE(r->rejected[1].reason.find("expected 3 or 4 fields"), std::string::npos);
  EXPECT_NE(r->rejected[2].reason.find("template 'nosuchtemplate' not found"), std::string::npos);
  EXPECT_NE(r->rejected[3].reason.find("already exists"), std::string::npos);
  EXPECT_NE(r->rejected[4].reason.find("unterminated quote"), std::string::npos);
  EXPECT_EQ(seen.size(), 11u);
  EXPECT_EQ(seen.back(), std::make_pair(11, 11));
  auto n1 = must(store().find_mailbox("new1@a.example"), "n1");
  ASSERT_TRUE(n1.has_value());
  EXPECT_EQ(n1->display_name, "One, New");
  EXPECT_EQ(must(store().find_mailbox("new2@a.example"), "n2")->quota_bytes, 50LL << 20);
  for (auto addr :
       {"new3@a.example", "new4@a.example", "new5@a.example", "new6@a.example", "new8@a.example"})
    EXPECT_FALSE(must(store().find_mailbox(addr), addr).has_value()) << addr;
  EXPECT_EQ(must(store().find_mailbox("bob@a.example"), "bob")->display_name, "");
}

TEST_F(Import, ImportGoesThroughThePolicy) {
  std::istringstream csv("x1@a.example,X,staff\nx2@a.example,X,exec\nx3@b.example,X,staff\n");
  auto r = import_mailboxes(svc(), as("hr@a.example"), csv);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->imported, 1);
  ASSERT_EQ(r->rejected.size(), 2u);
  EXPECT_EQ(r->rejected[1].reason, "domain 'b.example' not found");
}

TEST_F(Import, OverlongLinesRejectTheFile) {
  std::istringstream csv("a@a.example,A,staff\n" + std::string(5000, 'x') + "\n");
  auto r = import_mailboxes(svc(), admin(), csv);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, base::Errc::kTooLarge);
  EXPECT_FALSE(must(store().find_mailbox("a@a.example"), "a").has_value());
}

}  // namespace
}  // namespace posthouse::directory
