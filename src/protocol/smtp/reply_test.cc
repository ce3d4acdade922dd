#include "protocol/smtp/reply.h"

#include <gtest/gtest.h>

namespace posthouse::smtp {
namespace {

using base::Errc;

TEST(SmtpReply, SingleAndMultiLine) {
  EXPECT_EQ(make_reply(250, "2.1.0", "Ok").wire(), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(make_reply(250, "2.1.0", "Ok").wire(false), "250 Ok\r\n");
  Reply r;
  r.code = 214;
  r.status = "2.0.0";
  r.lines = {"a", "b", "c"};
  EXPECT_EQ(r.wire(), "214-2.0.0 a\r\n214-2.0.0 b\r\n214 2.0.0 c\r\n");
}

TEST(SmtpReply, TextCannotInjectLines) {
  EXPECT_EQ(make_reply(550, "5.1.1", "no\r\n250 ok").wire(), "550 5.1.1 no  250 ok\r\n");
  EXPECT_EQ(make_reply(700, "", "x").wire(), "451 x\r\n");
}

TEST(SmtpReply, EhloCapabilities) {
  EhloOptions o;
  o.hostname = "mx.example.com";
  o.size = 10485760;
  o.starttls = true;
  EXPECT_EQ(ehlo_reply(o).wire(),
            "250-mx.example.com Posthouse\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n"
            "250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250-CHUNKING\r\n"
            "250-BINARYMIME\r\n250-DSN\r\n250 STARTTLS\r\n");
  o.starttls = false;
  o.chunking = false;
  o.auth_mechanisms = {"PLAIN", "LOGIN"};
  std::string w = ehlo_reply(o).wire();
  EXPECT_EQ(w.find("BINARYMIME"), std::string::npos);
  EXPECT_NE(w.find("250 AUTH PLAIN LOGIN\r\n"), std::string::npos);
}

TEST(SmtpReply, ErrorMappingCoversEveryErrc) {
  struct Case {
    Errc code;
    int reply;
    const char* status;
  } cases[] = {
      {Errc::kInvalid, 501, "5.5.4"},
      {Errc::kNotFound, 550, "5.1.1"},
      {Errc::kConflict, 503, "5.5.1"},
      {Errc::kForbidden, 550, "5.7.1"},
      {Errc::kUnauthenticated, 535, "5.7.8"},
      {Errc::kLimit, 452, "4.5.3"},
      {Errc::kTooLarge, 552, "5.3.4"},
      {Errc::kTemporary, 451, "4.3.0"},
      {Errc::kIo, 451, "4.3.0"},
      {Errc::kInternal, 451, "4.3.0"},
      {Errc::kUnavailable, 502, "5.5.1"},
  };
  for (const auto& c : cases) {
    Reply r = error_reply(base::Error(c.code, "secret internal detail"));
    EXPECT_EQ(r.code, c.reply) << base::errc_name(c.code);
    EXPECT_EQ(r.status, c.status) << base::errc_name(c.code);
    EXPECT_EQ(r.wire().find("secret"), std::string::npos);
  }
}

TEST(SmtpReply, ParserFieldsMapToSpecificReplies) {
  EXPECT_EQ(error_reply(base::Error(Errc::kInvalid, "x", "address")).status, "5.1.3");
  EXPECT_EQ(error_reply(base::Error(Errc::kInvalid, "x", "param")).code, 555);
  EXPECT_EQ(error_reply(base::Error(Errc::kInvalid, "x", "syntax")).code, 501);
  EXPECT_EQ(error_reply(base::Error(Errc::kTooLarge, "x", "line")).wire(),
            "500 5.5.2 Line too long\r\n");
  EXPECT_EQ(error_reply(base::Error(Errc::kInvalid, "x", "sasl")).code, 501);
}

}  // namespace
}  // namespace posthouse::smtp
