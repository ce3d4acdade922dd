#include "protocol/smtp/command.h"

#include <gtest/gtest.h>

#include "protocol/smtp/reply.h"

namespace posthouse::smtp {
namespace {

using base::Errc;

Command ok(std::string_view line, const ParserOptions& o = {}) {
  auto r = parse_command(line, o);
  EXPECT_TRUE(r.ok()) << line << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Command{};
}

base::Error bad(std::string_view line, const ParserOptions& o = {}) {
  auto r = parse_command(line, o);
  EXPECT_FALSE(r.ok()) << line;
  return r.ok() ? base::Error{} : r.error();
}

TEST(SmtpCommand, HeloEhlo) {
  Command c = ok("EHLO client.example.org");
  EXPECT_EQ(c.verb, Verb::kEhlo);
  EXPECT_EQ(c.arg, "client.example.org");
  EXPECT_TRUE(c.helo_valid_domain);
  c = ok("helo [192.0.2.7]");
  EXPECT_EQ(c.verb, Verb::kHelo);
  EXPECT_TRUE(c.helo_valid_domain);
  EXPECT_FALSE(ok("EHLO bad_name").helo_valid_domain);
  EXPECT_EQ(bad("EHLO").field, "syntax");
  EXPECT_EQ(bad("HELO a b").field, "syntax");
}

TEST(SmtpCommand, UnknownVerb) {
  EXPECT_EQ(bad("XYZZY").field, "command");
  EXPECT_EQ(bad("").field, "command");
  EXPECT_EQ(bad("MAILFROM:<a@b.c>").field, "command");
  EXPECT_EQ(error_reply(bad("XYZZY")).code, 500);
}

TEST(SmtpCommand, MailFromWithAllParams) {
  Command c =
      ok("MAIL FROM:<a@example.com> SIZE=1000 BODY=8BITMIME RET=HDRS ENVID=QQ+2B1 "
         "AUTH=bob+40example.com");
  EXPECT_EQ(c.verb, Verb::kMail);
  EXPECT_EQ(c.path.mailbox.to_string(), "a@example.com");
  EXPECT_EQ(c.mail.size, 1000u);
  EXPECT_EQ(c.mail.body, BodyType::k8BitMime);
  EXPECT_EQ(c.mail.ret, DsnRet::kHdrs);
  EXPECT_EQ(c.mail.envid, "QQ+1");
  EXPECT_EQ(c.mail.auth, "bob@example.com");
  c = ok("mail from:<> body=binarymime smtputf8 auth=<>");
  EXPECT_TRUE(c.path.null_path);
  EXPECT_EQ(c.mail.body, BodyType::kBinaryMime);
  EXPECT_TRUE(c.mail.smtputf8);
  EXPECT_EQ(c.mail.auth, "<>");
  EXPECT_EQ(ok("MAIL FROM:<a@b.c> BODY=7BIT RET=FULL").mail.ret, DsnRet::kFull);
}

TEST(SmtpCommand, MailFromSpaceAfterColonTolerated) {
  EXPECT_EQ(ok("MAIL FROM: <a@b.c>").path.mailbox.local, "a");
  EXPECT_EQ(bad("MAIL FROM:  <a@b.c>").field, "address");
}

TEST(SmtpCommand, MailFromUtf8OnlyWithSmtputf8) {
  EXPECT_EQ(bad("MAIL FROM:<j\xC3\xBCrgen@example.com>").field, "address");
  Command c = ok("MAIL FROM:<j\xC3\xBCrgen@example.com> SMTPUTF8");
  EXPECT_TRUE(c.path.mailbox.utf8);
  EXPECT_EQ(bad("MAIL FROM:<j\xC3(rgen@example.com> SMTPUTF8").field, "address");
}

TEST(SmtpCommand, MailFromBadParams) {
  EXPECT_EQ(bad("MAIL FROM:<a@b.c> SIZE=abc").field, "param");
  EXPECT_EQ(bad("MAIL FROM:<a@b.c> SIZE=-1").field, "param");
  EXPECT_EQ(bad("MAIL FROM:<a@b.c> SIZE=999999999999999999999").field, "param");
  EXPECT_EQ(bad("MAIL FROM:<a@b.c> SIZE").field, "param");
  EXPECT_EQ(bad("MAIL FROM:<a@b.c> BODY=9BIT").field, "param");
  EXPECT_EQ(bad("MAIL FROM:<a@b.c> SMTPUTF8=yes").field, "param");
  EXPECT_EQ(bad("MAIL FROM:<a@b.c> RET=SOME").field, "param");
  EXPECT_EQ(bad("MAIL FROM:<a@b.c> ENVID=a+zz").field, "param");
  EXPECT_EQ(bad("MAIL FROM:<a@b.c> ENVID=" + std::string(101, 'x')).field, "param");
  EXPECT_EQ(bad("MAIL FROM:<a@b.c> AUTH=notanaddress").field, "param");
  EXPECT_EQ(bad("MAIL FROM:<a@b.c> XFOO=1").field, "param");
  EXPECT_EQ(bad("MAIL FROM:<a@b.c> SIZE=1 SIZE=2").field, "param");
  EXPECT_EQ(bad("MAIL FROM:<a@b.c> -BAD").field, "param");
  EXPECT_EQ(bad("MAIL FROM:<a@b.c>SIZE=1").field, "syntax");
  EXPECT_EQ(bad("MAIL TO:<a@b.c>").field, "syntax");
  EXPECT_EQ(bad("MAIL FROM:a@b.c").field, "address");
  EXPECT_EQ(error_reply(bad("MAIL FROM:<a@b.c> XFOO=1")).code, 555);
}

TEST(SmtpCommand, RcptWithDsnParams) {
  Command c = ok("RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+40example.net");
  EXPECT_EQ(c.verb, Verb::kRcpt);
  EXPECT_EQ(c.rcpt.notify, kNotifySuccess | kNotifyFailure);
  EXPECT_EQ(c.rcpt.orcpt_type, "rfc822");
  EXPECT_EQ(c.rcpt.orcpt_address, "b@example.net");
  EXPECT_EQ(ok("RCPT TO:<b@x.y> NOTIFY=NEVER").rcpt.notify, kNotifyNever);
  EXPECT_EQ(bad("RCPT TO:<b@x.y> NOTIFY=NEVER,DELAY").field, "param");
  EXPECT_EQ(bad("RCPT TO:<b@x.y> NOTIFY=SOMETIMES").field, "param");
  EXPECT_EQ(bad("RCPT TO:<b@x.y> NOTIFY=DELAY,DELAY").field, "param");
  EXPECT_EQ(bad("RCPT TO:<b@x.y> ORCPT=b@x.y").field, "param");
  EXPECT_EQ(bad("RCPT TO:<b@x.y> SIZE=10").field, "param");
  EXPECT_TRUE(ok("RCPT TO:<Postmaster>").path.postmaster_only);
  EXPECT_EQ(bad("RCPT TO:<>").field, "address");
}

TEST(SmtpCommand, RcptRelayTricksParseAndAreFlagged) {
  EXPECT_TRUE(ok("RCPT TO:<@hop.org:victim@target.org>").path.source_route);
  EXPECT_TRUE(ok("RCPT TO:<victim%target.org@example.com>").path.mailbox.percent_hack);
  Command c = ok(R"(RCPT TO:<"victim@target.org"@example.com>)");
  EXPECT_TRUE(c.path.mailbox.at_in_local);
  c = ok(R"(RCPT TO:<"a>b c"@example.com> NOTIFY=NEVER)");
  EXPECT_EQ(c.path.mailbox.local, "a>b c");
  EXPECT_EQ(c.rcpt.notify, kNotifyNever);
}

TEST(SmtpCommand, RcptUtf8IsFlaggedForTheSession) {
  Command c = ok("RCPT TO:<\xD0\xB8\xD0\xB2\xD0\xB0\xD0\xBD@example.ru>");
  EXPECT_TRUE(c.path.mailbox.utf8);
}

TEST(SmtpCommand, Bdat) {
  Command c = ok("BDAT 1000");
  EXPECT_EQ(c.bdat_size, 1000u);
  EXPECT_FALSE(c.bdat_last);
  c = ok("bdat 0 last");
  EXPECT_EQ(c.bdat_size, 0u);
  EXPECT_TRUE(c.bdat_last);
  EXPECT_EQ(bad("BDAT").field, "syntax");
  EXPECT_EQ(bad("BDAT -5").field, "syntax");
  EXPECT_EQ(bad("BDAT 10 FIRST").field, "syntax");
  EXPECT_EQ(bad("BDAT 10 LAST x").field, "syntax");
  EXPECT_EQ(bad("BDAT 0x10").field, "syntax");
  EXPECT_EQ(bad("BDAT 99999999999999999999999").field, "syntax");
  ParserOptions o;
  o.max_bdat_chunk = 100;
  EXPECT_EQ(bad("BDAT 101", o).code, Errc::kTooLarge);
}

TEST(SmtpCommand, Auth) {
  Command c = ok("AUTH plain AGJvYgBwdw==");
  EXPECT_EQ(c.verb, Verb::kAuth);
  EXPECT_EQ(c.arg, "PLAIN");
  EXPECT_EQ(c.auth_initial, "AGJvYgBwdw==");
  c = ok("AUTH LOGIN");
  EXPECT_FALSE(c.auth_initial.has_value());
  EXPECT_EQ(ok("AUTH PLAIN =").auth_initial, "=");
  EXPECT_EQ(bad("AUTH").field, "syntax");
  EXPECT_EQ(bad("AUTH PL@IN").field, "syntax");
  EXPECT_EQ(bad("AUTH PLAIN not-base64!").field, "syntax");
  EXPECT_EQ(bad("AUTH PLAIN abc").field, "syntax");
  EXPECT_EQ(bad("AUTH PLAIN AAAA BBBB").field, "syntax");
}

TEST(SmtpCommand, SimpleVerbs) {
  EXPECT_EQ(ok("DATA").verb, Verb::kData);
  EXPECT_EQ(ok("rset").verb, Verb::kRset);
  EXPECT_EQ(ok("QUIT").verb, Verb::kQuit);
  EXPECT_EQ(ok("STARTTLS").verb, Verb::kStartTls);
  EXPECT_EQ(ok("NOOP hello").arg, "hello");
  EXPECT_EQ(ok("HELP").verb, Verb::kHelp);
  EXPECT_EQ(ok("HELP MAIL").arg, "MAIL");
  EXPECT_EQ(ok("VRFY bob").arg, "bob");
  EXPECT_EQ(bad("VRFY").field, "syntax");
  EXPECT_EQ(bad("DATA now").field, "syntax");
  EXPECT_EQ(bad("STARTTLS x").field, "syntax");
  EXPECT_EQ(bad("QUIT please").field, "syntax");
}

TEST(SmtpCommand, LineBoundsAndControlBytes) {
  std::string line = "NOOP " + std::string(505, 'x');  // 510 + CRLF = 512
  ok(line);
  auto e = bad(line + "x");
  EXPECT_EQ(e.field, "line");
  EXPECT_EQ(e.code, Errc::kTooLarge);
  EXPECT_EQ(bad(std::string(1 << 20, 'A')).field, "line");
  ParserOptions o;
  o.max_line = 2048;
  ok(line + "xxxx", o);
  EXPECT_EQ(bad(std::string("NOOP a\0b", 8)).field, "line");
  EXPECT_EQ(bad("NOOP a\rb").field, "line");
  EXPECT_EQ(bad("MAIL FROM:<a@b.c>\nRCPT TO:<x@y.z>").field, "line");
  EXPECT_EQ(error_reply(bad(std::string("NOOP \0", 6))).code, 500);
}

TEST(Xtext, RoundTrip) {
  EXPECT_EQ(xtext_encode("a+b=c d"), "a+2Bb+3Dc+20d");
  EXPECT_EQ(*xtext_decode("a+2Bb+3Dc+20d"), "a+b=c d");
  EXPECT_FALSE(xtext_decode("a+2").ok());
  EXPECT_FALSE(xtext_decode("a+").ok());
  EXPECT_FALSE(xtext_decode("a+2b").ok());  // lower-case hex is not xtext
  EXPECT_FALSE(xtext_decode("a=b").ok());
}

TEST(DsnParams, NotifyListsFlagsInRfcOrder) {
  EXPECT_EQ(notify_value(kNotifyNone), "");
  EXPECT_EQ(notify_value(kNotifyNever), "NEVER");
  EXPECT_EQ(notify_value(kNotifyDelay | kNotifySuccess), "SUCCESS,DELAY");
  EXPECT_EQ(notify_value(kNotifySuccess | kNotifyFailure | kNotifyDelay), "SUCCESS,FAILURE,DELAY");
}

TEST(DsnParams, OrcptIsEncodedAsReceived) {
  // What the parser decoded is encoded back to the same parameter.
  Command c = ok("RCPT TO:<b@example.net> ORCPT=rfc822;b+2Bx+3Dy@example.net");
  EXPECT_EQ(orcpt_value(c.rcpt.orcpt_type, c.rcpt.orcpt_address), "rfc822;b+2Bx+3Dy@example.net");
  EXPECT_EQ(orcpt_value("rfc822", "a b@x.y"), "rfc822;a+20b@x.y");
  // utf-8-addr-xtext (RFC 6533): code points, never "+HH".
  EXPECT_EQ(orcpt_value("utf-8", "j\xc3\xa9r+me@x.y"), "utf-8;j\\x{E9}r\\x{2B}me@x.y");
  EXPECT_EQ(orcpt_value("utf-8", "j\\x{E9}r@x.y"), "utf-8;j\\x{E9}r@x.y");
}

}  // namespace
}  // namespace posthouse::smtp
