#include "delivery/quarantine.h"

#include <gtest/gtest.h>

namespace posthouse::delivery {
namespace {

NoticeEntry entry(int64_t id, std::string subject, std::string token) {
  NoticeEntry e;
  e.held.id = id;
  e.held.sender = "spam@elsewhere.test";
  e.held.from = "Prize Desk <win@elsewhere.test>";
  e.held.subject = std::move(subject);
  e.held.reason = "spam score 9.50";
  e.held.held_at = 1700000000;
  e.token = std::move(token);
  return e;
}

TEST(QuarantineNotice, WhiteLabelledWithOneLinkPerEntry) {
  QuarantineSettings s;
  s.link_base = "https://panel.example.test";
  s.hostname = "mx.example.test";
  s.retention_seconds = 14 * 86400;
  directory::Branding b;
  b.product_name = "AcmeMail";
  b.sender_name = "Acme \"IT\"";
  b.sender_address = "noreply@acme.test";
  std::string n = Quarantine::notice_text(
      s, "bob@example.test", b, {entry(1, "You won", "tok1"), entry(2, "Again", "tok2")}, 1700000100);
  EXPECT_EQ(n.find("From: \"Acme IT\" <noreply@acme.test>\r\n"), 0u) << n;
  EXPECT_NE(n.find("To: <bob@example.test>\r\n"), std::string::npos);
  EXPECT_NE(n.find("Subject: [AcmeMail] 2 messages held for you in quarantine\r\n"),
            std::string::npos);
  EXPECT_NE(n.find("Auto-Submitted: auto-generated\r\n"), std::string::npos);
  EXPECT_NE(n.find("Message-ID: <"), std::string::npos);
  EXPECT_NE(n.find("kept for 14 days"), std::string::npos);
  EXPECT_NE(n.find("Release: https://panel.example.test/release?token=tok1\r\n"), std::string::npos);
  EXPECT_NE(n.find("Release: https://panel.example.test/release?token=tok2\r\n"), std::string::npos);
  EXPECT_NE(n.find("Subject: You won\r\n"), std::string::npos);
  EXPECT_NE(n.find("(spam score 9.50)"), std::string::npos);
}

TEST(QuarantineNotice, DefaultsAndHostileTextStayInsideTheBody) {
  QuarantineSettings s;
  s.link_base = "https://mx.example.test";
  s.hostname = "mx.example.test";
  auto e = entry(3, "Hi\r\nBcc: victim@x.test", "t");
  e.held.from.clear();
  std::string n = Quarantine::notice_text(s, "bob@example.test", {}, {e}, 1700000100);
  EXPECT_EQ(n.find("From: \"Mail\" <postmaster@example.test>\r\n"), 0u) << n;
  EXPECT_NE(n.find("Subject: [Mail] 1 message held for you in quarantine\r\n"), std::string::npos);
  EXPECT_EQ(n.find("\r\nBcc:"), std::string::npos) << "a control in the subject became a space";
  EXPECT_NE(n.find("From: <spam@elsewhere.test>"), std::string::npos);
  auto body = n.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_EQ(n.substr(0, body).find("victim"), std::string::npos);
}

}  // namespace
}  // namespace posthouse::delivery
