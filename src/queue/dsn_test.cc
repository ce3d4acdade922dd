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
  in.failed = {{"bob@remote.test", "4.4.1", "smtp; connect to [192.0.2.1]:25: refused", ""}};
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

}  // namespace
}  // namespace posthouse::queue
