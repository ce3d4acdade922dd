#include "delivery/autoreply.h"

#include <gtest/gtest.h>

#include "store/sqlite/autoreply_store.h"

namespace posthouse::delivery {
namespace {

AutoreplySettings on() {
  AutoreplySettings s;
  s.enabled = true;
  s.body = "I am away.\nBack Monday.";
  return s;
}

IncomingMail mail(std::string headers, std::string sender = "alice@remote.test") {
  return IncomingMail{std::move(sender), std::move(headers)};
}

const std::vector<std::string> kOwn = {"bob@example.test", "b@example.test"};

TEST(Autoreply, AnswersPersonalMail) {
  auto m = mail("From: Alice <alice@remote.test>\r\nTo: Bob <BOB@example.test>\r\n"
                "Subject: lunch\r\nMessage-ID: <m1@remote.test>\r\n\r\n");
  EXPECT_TRUE(should_reply(on(), m, kOwn, 1000));
  auto cc = mail("To: x@y.test\r\nCc: b@example.test\r\n\r\n");
  EXPECT_TRUE(should_reply(on(), cc, kOwn, 1000));
}

TEST(Autoreply, NeverToListsBulkAutoOrBounces) {
  const std::string to = "To: bob@example.test\r\n";
  EXPECT_FALSE(should_reply(on(), mail(to + "\r\n", ""), kOwn, 1000));  // null sender
  EXPECT_FALSE(should_reply(on(), mail(to + "Auto-Submitted: auto-replied\r\n\r\n"), kOwn, 1000));
  EXPECT_TRUE(should_reply(on(), mail(to + "Auto-Submitted: no\r\n\r\n"), kOwn, 1000));
  EXPECT_FALSE(should_reply(on(), mail(to + "Precedence: bulk\r\n\r\n"), kOwn, 1000));
  EXPECT_FALSE(should_reply(on(), mail(to + "Precedence: list\r\n\r\n"), kOwn, 1000));
  EXPECT_FALSE(should_reply(on(), mail(to + "List-Id: <l.example>\r\n\r\n"), kOwn, 1000));
  EXPECT_FALSE(should_reply(on(), mail(to + "List-Unsubscribe:\r\n <mailto:x>\r\n\r\n"), kOwn, 1000));
  EXPECT_FALSE(should_reply(on(), mail(to + "X-Auto-Response-Suppress: OOF\r\n\r\n"), kOwn, 1000));
  EXPECT_FALSE(should_reply(on(), mail(to + "\r\n", "MAILER-DAEMON@remote.test"), kOwn, 1000));
  EXPECT_FALSE(should_reply(on(), mail(to + "\r\n", "owner-list@remote.test"), kOwn, 1000));
  EXPECT_FALSE(should_reply(on(), mail(to + "\r\n", "list-request@remote.test"), kOwn, 1000));
  // Not addressed to us (Bcc or list expansion).
  EXPECT_FALSE(should_reply(on(), mail("To: other@example.test\r\n\r\n"), kOwn, 1000));
}

TEST(Autoreply, DatesAndSwitch) {
  auto m = mail("To: bob@example.test\r\n\r\n");
  auto s = on();
  s.start = 2000;
  s.end = 3000;
  EXPECT_FALSE(should_reply(s, m, kOwn, 1999));
  EXPECT_TRUE(should_reply(s, m, kOwn, 2000));
  EXPECT_FALSE(should_reply(s, m, kOwn, 3000));
  s.enabled = false;
  EXPECT_FALSE(should_reply(s, m, kOwn, 2500));
}

TEST(Autoreply, ReplyMessageShape) {
  auto m = mail("To: bob@example.test\r\nSubject: lunch\r\nMessage-ID: <m1@remote.test>\r\n"
                "References: <m0@remote.test>\r\n\r\n");
  std::string r = build_reply(on(), "bob@example.test", "Bob\r\nBcc: evil@x", m, "mx.test", 0);
  EXPECT_NE(r.find("Auto-Submitted: auto-replied\r\n"), std::string::npos);
  EXPECT_NE(r.find("Subject: Auto: lunch\r\n"), std::string::npos);
  EXPECT_NE(r.find("In-Reply-To: <m1@remote.test>\r\n"), std::string::npos);
  EXPECT_NE(r.find("References: <m0@remote.test> <m1@remote.test>\r\n"), std::string::npos);
  EXPECT_NE(r.find("To: <alice@remote.test>\r\n"), std::string::npos);
  EXPECT_EQ(r.find("\r\nBcc:"), std::string::npos);  // no header injection via the name
  EXPECT_NE(r.find("I am away.\r\nBack Monday.\r\n"), std::string::npos);
}

TEST(AutoreplyLog, OncePerSenderPerPeriod) {
  auto db = std::move(*store::sqlite::Db::open(":memory:"));
  ASSERT_TRUE(db->migrate().ok());
  store::sqlite::SqliteAutoreplyStore store(*db);
  AutoreplyLog log(store);
  EXPECT_TRUE(*log.claim(1, "alice@r.test", 100, 1000));
  EXPECT_FALSE(*log.claim(1, "ALICE@r.test", 100, 1050));
  EXPECT_TRUE(*log.claim(1, "carol@r.test", 100, 1050));
  EXPECT_TRUE(*log.claim(2, "alice@r.test", 100, 1050));  // another mailbox
  EXPECT_TRUE(*log.claim(1, "alice@r.test", 100, 1100));  // period over
}

}  // namespace
}  // namespace posthouse::delivery
