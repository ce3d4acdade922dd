#include "protocol/text.h"

#include <gtest/gtest.h>

namespace posthouse::protocol {
namespace {

using base::Errc;

TEST(Utf8, AcceptsWellFormed) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("ascii"));
  EXPECT_TRUE(valid_utf8("caf\xC3\xA9"));
  EXPECT_TRUE(valid_utf8("\xE2\x82\xAC"));
  EXPECT_TRUE(valid_utf8("\xF0\x9F\x98\x80"));
}

TEST(Utf8, RejectsMalformed) {
  EXPECT_FALSE(valid_utf8("\xC3"));              // truncated
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(valid_utf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(valid_utf8("\x80"));              // lone continuation
  EXPECT_FALSE(valid_utf8("\xFF"));
}

TEST(LineFramer, SplitsCrlfAndFlagsBareLf) {
  LineFramer f(512);
  std::string buf = "EHLO a\r\nNOOP\nQU";
  auto e = f.next(buf);
  ASSERT_EQ(e.kind, LineFramer::Kind::kLine);
  EXPECT_EQ(e.line, "EHLO a");
  EXPECT_FALSE(e.bare_lf);
  EXPECT_EQ(e.consumed, 8u);
  buf.erase(0, e.consumed);
  e = f.next(buf);
  ASSERT_EQ(e.kind, LineFramer::Kind::kLine);
  EXPECT_EQ(e.line, "NOOP");
  EXPECT_TRUE(e.bare_lf);
  buf.erase(0, e.consumed);
  e = f.next(buf);
  EXPECT_EQ(e.kind, LineFramer::Kind::kNeedMore);
  EXPECT_EQ(e.consumed, 0u);
}

TEST(LineFramer, OverlongLineIsReportedOnceThenSkipped) {
  LineFramer f(16);
  std::string big(1 << 20, 'A');
  auto e = f.next(big);
  EXPECT_EQ(e.kind, LineFramer::Kind::kTooLong);
  EXPECT_EQ(e.consumed, big.size());
  e = f.next(std::string(100, 'B'));
  EXPECT_EQ(e.kind, LineFramer::Kind::kNeedMore);
  EXPECT_EQ(e.consumed, 100u);
  std::string tail = "BBB\r\nNOOP\r\n";
  e = f.next(tail);
  EXPECT_EQ(e.kind, LineFramer::Kind::kNeedMore);
  EXPECT_EQ(e.consumed, 5u);
  e = f.next(std::string_view(tail).substr(5));
  ASSERT_EQ(e.kind, LineFramer::Kind::kLine);
  EXPECT_EQ(e.line, "NOOP");
}

TEST(LineFramer, OverlongWithTerminatorInSameBuffer) {
  LineFramer f(8);
  std::string buf = "0123456789\r\nNOOP\r\n";
  auto e = f.next(buf);
  EXPECT_EQ(e.kind, LineFramer::Kind::kTooLong);
  EXPECT_EQ(e.consumed, 12u);
  e = f.next(std::string_view(buf).substr(12));
  ASSERT_EQ(e.kind, LineFramer::Kind::kLine);
  EXPECT_EQ(e.line, "NOOP");
}

TEST(LineFramer, LineOfExactlyMaxFits) {
  LineFramer f(8);
  auto e = f.next("123456\r\n");
  EXPECT_EQ(e.kind, LineFramer::Kind::kLine);
  e = f.next("1234567\r\n");
  EXPECT_EQ(e.kind, LineFramer::Kind::kTooLong);
}

TEST(VerbLine, SplitsAndBounds) {
  auto v = split_verb_line("MAIL FROM:<a@b> SIZE=1", 512);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->verb, "MAIL");
  EXPECT_EQ(v->rest, "FROM:<a@b> SIZE=1");
  EXPECT_TRUE(v->has_rest);
  v = split_verb_line("NOOP", 512);
  EXPECT_FALSE(v->has_rest);
  EXPECT_TRUE(split_verb_line("NOOP ", 512)->has_rest);
  EXPECT_EQ(split_verb_line(std::string(511, 'x'), 512).error().code, Errc::kTooLarge);
  EXPECT_TRUE(split_verb_line(std::string(510, 'x'), 512).ok());
  EXPECT_EQ(split_verb_line(std::string("A\0B", 3), 512).error().field, "line");
  EXPECT_EQ(split_verb_line("A\rB", 512).error().code, Errc::kInvalid);
}

TEST(Base64, Digits) {
  EXPECT_EQ(base64_digit('A'), 0);
  EXPECT_EQ(base64_digit('/'), 63);
  EXPECT_EQ(base64_digit(','), -1);
  EXPECT_EQ(base64_digit(',', ','), 63);
  EXPECT_EQ(base64_digit('='), -1);
}

TEST(Base64, RoundTrip) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto d = base64_decode(base64_encode(s), 100);
    ASSERT_TRUE(d.ok()) << s;
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
}

TEST(Base64, RejectsMalformed) {
  EXPECT_EQ(base64_decode("abc", 10).error().code, Errc::kInvalid);
  EXPECT_EQ(base64_decode("ab c", 10).error().code, Errc::kInvalid);
  EXPECT_EQ(base64_decode("a===", 10).error().code, Errc::kInvalid);
  EXPECT_EQ(base64_decode("ab=c", 10).error().code, Errc::kInvalid);
  EXPECT_EQ(base64_decode("=AAA", 10).error().code, Errc::kInvalid);
  EXPECT_EQ(base64_decode("aGVsbG8=aGVs", 10).error().code, Errc::kInvalid);
  EXPECT_EQ(base64_decode("aGVsbG9=", 10).error().code, Errc::kInvalid);  // non-canonical
  EXPECT_EQ(base64_decode("aGVsbG8=", 4).error().code, Errc::kTooLarge);
}

TEST(SaslPlain, DecodesThreeFields) {
  auto c = decode_sasl_plain(base64_encode(std::string("admin\0bob\0s3cret", 16)));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->authzid, "admin");
  EXPECT_EQ(c->authcid, "bob");
  EXPECT_EQ(c->password, "s3cret");
  c = decode_sasl_plain(base64_encode(std::string("\0bob\0pw", 7)));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->authzid, "");
}

TEST(SaslPlain, RejectsMalformed) {
  auto bad = [](std::string raw) { return decode_sasl_plain(base64_encode(raw)).error().code; };
  EXPECT_EQ(bad("bobpw"), Errc::kInvalid);
  EXPECT_EQ(bad(std::string("bob\0pw", 6)), Errc::kInvalid);
  EXPECT_EQ(bad(std::string("\0\0pw", 4)), Errc::kInvalid);
  EXPECT_EQ(bad(std::string("\0bob\0", 5)), Errc::kInvalid);
  EXPECT_EQ(bad(std::string("\0bob\0pw\0x", 9)), Errc::kInvalid);
  EXPECT_EQ(bad(std::string("\0b\xff\0pw", 6)), Errc::kInvalid);
  EXPECT_EQ(bad(std::string(1, '\0') + std::string(300, 'u') + std::string(1, '\0') + "pw"),
            Errc::kTooLarge);
  EXPECT_EQ(decode_sasl_plain("!!!!").error().code, Errc::kInvalid);
}

TEST(SaslLogin, DecodesStep) {
  EXPECT_EQ(*decode_sasl_login_step(base64_encode("bob@example.com")), "bob@example.com");
  EXPECT_FALSE(decode_sasl_login_step(base64_encode(std::string("a\0b", 3))).ok());
  EXPECT_EQ(decode_sasl_login_step(base64_encode(std::string(2000, 'x'))).error().code,
            Errc::kTooLarge);
  EXPECT_TRUE(is_sasl_cancel("*"));
  EXPECT_FALSE(is_sasl_cancel("**"));
}

}  // namespace
}  // namespace posthouse::protocol
