#include "queue/dsn.h"

#include <gtest/gtest.h>

namespace posthouse::queue {
namespace {

BounceInput input() {
  BounceInput in;
  in.reporting_mta = "mail.example.net";
  in.original_sender = "alice@example.net";
  in.original_message = "Subject: hello\r\nFrom: alice@example.net\r\n\r\nsecret body\r\n";
  in.arrival_date = 1700000000;
  in.failed = {{"bob@remote.test", "4.4.1", "smtp; connect to [192.0.2.1]:25: refused", "", ""}};
  return in;
}

TEST(Dsn, DelayWarningSaysDelayedAndWhenRetriesEnd) {
  BounceInput in = input();
  in.delayed = true;
  in.headers_only = true;
  in.will_retry_until = 1700000000 + 432000;
  std::string m = build_bounce(in, 1700014400);
  EXPECT_NE(m.find("Subject: Delayed Mail (still being retried)\r\n"), std::string::npos);
  EXPECT_NE(m.find("report-type=delivery-status"), std::string::npos);
  EXPECT_NE(m.find("Action: delayed\r\n"), std::string::npos);
  EXPECT_EQ(m.find("Action: failed"), std::string::npos);
  EXPECT_NE(m.find("Status: 4.4.1\r\n"), std::string::npos);
  EXPECT_NE(m.find("Will-Retry-Until: Sun, 19 Nov 2023 22:13:20 +0000\r\n"), std::string::npos);
  EXPECT_NE(m.find("still being retried until Sun, 19 Nov 2023"), std::string::npos);
  EXPECT_NE(m.find("Content-Type: text/rfc822-headers"), std::string::npos);
  EXPECT_NE(m.find("Subject: hello"), std::string::npos);
  EXPECT_EQ(m.find("secret body"), std::string::npos);
}

TEST(Dsn, BounceSaysFailedWithoutRetryDate) {
  BounceInput in = input();
  in.failed[0].status = "5.1.1";
  std::string m = build_bounce(in, 1700014400);
  EXPECT_NE(m.find("Subject: Undelivered Mail Returned to Sender\r\n"), std::string::npos);
  EXPECT_NE(m.find("Action: failed\r\n"), std::string::npos);
  EXPECT_EQ(m.find("Will-Retry-Until"), std::string::npos);
  EXPECT_NE(m.find("secret body"), std::string::npos);  // RET=FULL
}

// The body part of a report between its Content-Type line and the next boundary.
std::string part(const std::string& m, const std::string& type) {
  auto at = m.find("Content-Type: " + type + "\r\n\r\n");
  if (at == std::string::npos) return "";
  at = m.find("\r\n\r\n", at) + 4;
  return m.substr(at, m.find("\r\n--=_ph_", at) - at);
}

TEST(Dsn, SuccessReportNamesEachActionWithItsFields) {
  BounceInput in = input();
  in.success = true;
  in.envid = "QQ314159";
  in.headers_only = false;  // RET=FULL asks for the message in failure reports only
  in.failed = {{"bob@example.net", "2.0.0", "", "rfc822;Bob@Example.NET", "delivered"},
               {"carol@remote.test", "2.0.0", "smtp; 250 2.0.0 queued", "", "relayed"}};
  std::string m = build_bounce(in, 1700014400);
  EXPECT_NE(m.find("Subject: Successful Mail Delivery Report\r\n"), std::string::npos);
  EXPECT_NE(m.find("Content-Type: multipart/report; report-type=delivery-status;"),
            std::string::npos);
  EXPECT_EQ(part(m, "message/delivery-status"),
            "Reporting-MTA: dns; mail.example.net\r\n"
            "Original-Envelope-Id: QQ314159\r\n"
            "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
            "\r\n"
            "Original-Recipient: rfc822;Bob@Example.NET\r\n"
            "Final-Recipient: rfc822; bob@example.net\r\n"
            "Action: delivered\r\n"
            "Status: 2.0.0\r\n"
            "\r\n"
            "Final-Recipient: rfc822; carol@remote.test\r\n"
            "Action: relayed\r\n"
            "Status: 2.0.0\r\n"
            "Diagnostic-Code: smtp; 250 2.0.0 queued\r\n");
  EXPECT_NE(m.find("<bob@example.net>: delivered to mailbox\r\n"), std::string::npos);
  EXPECT_NE(m.find("<carol@remote.test>: relayed to a system that sends no delivery reports"),
            std::string::npos);
  // Only the header comes back with a success report, whatever RET said.
  EXPECT_EQ(part(m, "text/rfc822-headers"), "Subject: hello\r\nFrom: alice@example.net");
  EXPECT_EQ(m.find("secret body"), std::string::npos);
  EXPECT_EQ(m.find("Action: failed"), std::string::npos);
}

TEST(Dsn, OriginalRecipientOfOlderEntriesIsRfc822) {
  BounceInput in = input();
  in.failed[0].orcpt = "bob@remote.test";  // queued before the type was kept
  std::string m = build_bounce(in, 1700014400);
  EXPECT_NE(m.find("Original-Recipient: rfc822;bob@remote.test\r\n"), std::string::npos);
}

}  // namespace
}  // namespace posthouse::queue
