#include "protocol/smtp/client_reply.h"

#include <gtest/gtest.h>

namespace posthouse::smtp {
namespace {

TEST(ClientReply, SingleLineWithEnhancedStatus) {
  ReplyParser p;
  auto done = p.feed("550 5.1.1 No such user here");
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(*done);
  auto r = p.take();
  EXPECT_EQ(r.code, 550);
  EXPECT_EQ(r.status, "5.1.1");
  EXPECT_EQ(r.lines[0], "No such user here");
  EXPECT_TRUE(r.permanent());
  EXPECT_EQ(r.summary(), "550 5.1.1 No such user here");
}

TEST(ClientReply, NoDsnUnlessOffered) {
  ReplyParser p;
  EXPECT_FALSE(*p.feed("250-mx.example.org"));
  EXPECT_TRUE(*p.feed("250 PIPELINING"));
  EXPECT_FALSE(parse_ehlo(p.take()).dsn);
}

TEST(ClientReply, MultilineEhlo) {
  ReplyParser p;
  EXPECT_FALSE(*p.feed("250-mx.example.org Hello"));
  EXPECT_FALSE(*p.feed("250-PIPELINING"));
  EXPECT_FALSE(*p.feed("250-SIZE 10240000"));
  EXPECT_FALSE(*p.feed("250-starttls"));
  EXPECT_FALSE(*p.feed("250-AUTH PLAIN LOGIN"));
  EXPECT_FALSE(*p.feed("250-8BITMIME"));
  EXPECT_FALSE(*p.feed("250-dsn"));
  EXPECT_TRUE(*p.feed("250 SMTPUTF8"));
  auto r = p.take();
  auto e = parse_ehlo(r);
  EXPECT_TRUE(e.pipelining);
  EXPECT_TRUE(e.dsn);
  EXPECT_TRUE(e.starttls);
  EXPECT_TRUE(e.eight_bit_mime);
  EXPECT_TRUE(e.smtputf8);
  EXPECT_EQ(e.size, 10240000u);
  EXPECT_EQ(e.auth, (std::vector<std::string>{"PLAIN", "LOGIN"}));
  EXPECT_EQ(greeting_domain(r), "mx.example.org");
}

TEST(ClientReply, BareCodeIsALastLine) {
  ReplyParser p;
  EXPECT_TRUE(*p.feed("354"));
  EXPECT_EQ(p.take().code, 354);
}

TEST(ClientReply, RejectsInvalidCodes) {
  for (const char* bad : {"999 what", "abc hello", "25", "199 too low", "600 too high",
                          "260 bad second digit", "250xtext", ""}) {
    ReplyParser p;
    auto r = p.feed(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, base::Errc::kInvalid) << bad;
  }
}

TEST(ClientReply, RejectsCodeChangeAndTooManyLines) {
  ReplyParser p;
  ASSERT_TRUE(p.feed("250-one").ok());
  EXPECT_EQ(p.feed("251 two").error().code, base::Errc::kInvalid);
  ReplyParser q(3);
  ASSERT_TRUE(q.feed("220-a").ok());
  ASSERT_TRUE(q.feed("220-b").ok());
  ASSERT_TRUE(q.feed("220-c").ok());
  EXPECT_EQ(q.feed("220 d").error().code, base::Errc::kTooLarge);
}

TEST(ClientReply, StatusMustMatchClass) {
  ReplyParser p;
  ASSERT_TRUE(p.feed("451 5.1.1 mismatched").ok());
  auto r = p.take();
  EXPECT_EQ(r.status, "");
  EXPECT_EQ(r.lines[0], "5.1.1 mismatched");
}

TEST(ClientReply, SummaryStripsControls) {
  ReplyParser p;
  ASSERT_TRUE(p.feed("421 bye\x01there").ok());
  EXPECT_EQ(p.take().summary(), "421 bye there");
}

}  // namespace
}  // namespace posthouse::smtp
