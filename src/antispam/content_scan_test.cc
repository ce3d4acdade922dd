#include "antispam/content_scan.h"

#include <gtest/gtest.h>

namespace posthouse::antispam {
namespace {

RspamdResult result(RspamdAction action, double score) {
  RspamdResult r;
  r.action = action;
  r.score = score;
  r.required_score = 15;
  return r;
}

TEST(ContentScan, SpamStatusFields) {
  EXPECT_EQ(spam_status_fields(result(RspamdAction::kNoAction, 0.4)),
            "X-Spam-Status: No, score=0.40 required=15.00\r\nX-Spam-Action: no action\r\n");
  EXPECT_EQ(spam_status_fields(result(RspamdAction::kAddHeader, 7)),
            "X-Spam-Status: Yes, score=7.00 required=15.00\r\nX-Spam-Action: add header\r\n");
  EXPECT_EQ(spam_status_fields(result(RspamdAction::kGreylist, -1.5)),
            "X-Spam-Status: No, score=-1.50 required=15.00\r\nX-Spam-Action: greylist\r\n");
}

TEST(ContentScan, SymbolsSummaryWeightiestFirst) {
  RspamdResult r = result(RspamdAction::kNoAction, 0);
  r.symbols = {{"A", 0.1, {}}, {"B", -3, {}}, {"C", 2, {}}};
  EXPECT_EQ(symbols_summary(r), "B(-3.00) C(2.00) A(0.10)");
  for (int i = 0; i < 30; ++i) r.symbols.push_back({"S" + std::to_string(i), 0, {}});
  std::string s = symbols_summary(r);
  EXPECT_EQ(std::count(s.begin(), s.end(), ' '), 19);
}

TEST(ContentScan, NoDaemonsNoVerdict) {
  ContentScanners none;
  ContentScan c = scan_content(none, "Subject: x\r\n\r\nbody\r\n", {});
  EXPECT_EQ(c.virus, "");
  EXPECT_FALSE(c.rspamd);
  EXPECT_EQ(c.failures, 0);
}

TEST(ContentScan, DaemonDownIsAFailureThatDefersOnlyWhenFailingClosed) {
  ContentScanners s;
  ClamdOptions o;
  o.address = "unix:/nonexistent/posthouse-test/clamd.sock";
  s.clamd.emplace(o);
  ContentScan open = scan_content(s, "Subject: x\r\n\r\nbody\r\n", {});
  EXPECT_EQ(open.failures, 1);
  EXPECT_FALSE(open.daemon_error);
  EXPECT_EQ(open.errors.rfind("clamd: ", 0), 0u) << open.errors;
  s.fail_open = false;
  ContentScan closed = scan_content(s, "Subject: x\r\n\r\nbody\r\n", {});
  EXPECT_EQ(closed.failures, 1);
  EXPECT_TRUE(closed.daemon_error);
}

}  // namespace
}  // namespace posthouse::antispam
