#include "protocol/smtp/address.h"

#include <gtest/gtest.h>

namespace posthouse::smtp {
namespace {

using base::Errc;

Path ok_path(std::string_view s, PathKind k = PathKind::kForward, bool utf8 = false) {
  auto r = parse_path(s, k, utf8);
  EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Path{};
}

base::Error bad_path(std::string_view s, PathKind k = PathKind::kForward, bool utf8 = false) {
  auto r = parse_path(s, k, utf8);
  EXPECT_FALSE(r.ok()) << s;
  return r.ok() ? base::Error{} : r.error();
}

TEST(Path, PlainDotAtom) {
  Path p = ok_path("<john.doe+tag@example.com>");
  EXPECT_EQ(p.mailbox.local, "john.doe+tag");
  EXPECT_EQ(p.mailbox.domain, "example.com");
  EXPECT_FALSE(p.mailbox.quoted_local);
  EXPECT_EQ(p.mailbox.to_string(), "john.doe+tag@example.com");
}

TEST(Path, NullReversePathOnlyForMailFrom) {
  EXPECT_TRUE(ok_path("<>", PathKind::kReverse).null_path);
  EXPECT_EQ(bad_path("<>", PathKind::kForward).field, "address");
}

TEST(Path, PostmasterWithoutDomain) {
  Path p = ok_path("<PostMaster>");
  EXPECT_TRUE(p.postmaster_only);
  EXPECT_EQ(bad_path("<PostMaster>", PathKind::kReverse).code, Errc::kInvalid);
  EXPECT_EQ(bad_path("<someone>").code, Errc::kInvalid);
}

TEST(Path, QuotedLocalPart) {
  Path p = ok_path(R"(<"john doe"@example.com>)");
  EXPECT_TRUE(p.mailbox.quoted_local);
  EXPECT_EQ(p.mailbox.local, "john doe");
  EXPECT_EQ(p.mailbox.to_string(), R"("john doe"@example.com)");
  p = ok_path(R"(<"a\"b\\c"@example.com>)");
  EXPECT_EQ(p.mailbox.local, R"(a"b\c)");
  EXPECT_EQ(p.mailbox.to_string(), R"("a\"b\\c"@example.com)");
}

TEST(Path, QuotedLocalWithAtIsFlagged) {
  Path p = ok_path(R"(<"victim@elsewhere.org"@example.com>)");
  EXPECT_TRUE(p.mailbox.at_in_local);
}

TEST(Path, PercentHackIsFlagged) {
  Path p = ok_path("<user%elsewhere.org@example.com>");
  EXPECT_TRUE(p.mailbox.percent_hack);
  EXPECT_FALSE(ok_path("<user@example.com>").mailbox.percent_hack);
}

TEST(Path, SourceRouteIsParsedAndFlagged) {
  Path p = ok_path("<@relay1.org,@relay2.org:user@example.com>");
  EXPECT_TRUE(p.source_route);
  EXPECT_EQ(p.mailbox.to_string(), "user@example.com");
  bad_path("<@relay1.org:>");
  bad_path("<@relay1.org,:user@example.com>");
  bad_path("<@relay1.org user@example.com>");
  bad_path("<@-bad.org:user@example.com>");
  bad_path("<relay1.org:user@example.com>");
}

TEST(Path, AddressLiterals) {
  Path p = ok_path("<user@[192.0.2.1]>");
  EXPECT_TRUE(p.mailbox.domain_literal);
  EXPECT_EQ(p.mailbox.domain, "192.0.2.1");
  EXPECT_EQ(p.mailbox.to_string(), "user@[192.0.2.1]");
  EXPECT_TRUE(ok_path("<user@[IPv6:2001:db8::1]>").mailbox.domain_literal);
  EXPECT_TRUE(ok_path("<user@[x-tag:abc]>").mailbox.domain_literal);
  bad_path("<user@[192.0.2.256]>");
  bad_path("<user@[192.0.2]>");
  bad_path("<user@[IPv6:zz::1]>");
  bad_path("<user@[192.0.2.1>");
  bad_path("<user@[]>");
}

TEST(Path, MalformedForms) {
  for (const char* s : {"user@example.com",
                        "<user@example.com",
                        "user@example.com>",
                        "<@example.com>",
                        "<user@>",
                        "<user>x",
                        "<.user@example.com>",
                        "<user.@example.com>",
                        "<us..er@example.com>",
                        "<us er@example.com>",
                        "<user@exa mple.com>",
                        "<user@-example.com>",
                        "<user@example-.com>",
                        "<user@example..com>",
                        "<user@.example.com>",
                        "<user@example.com.>",
                        "<user@exam_ple.com>",
                        "<\"unterminated@example.com>",
                        "<user@@example.com>",
                        "<us(er@example.com>",
                        "<a@b@example.com>",
                        "<user@example.com >",
                        "<\"a\x01\"@example.com>",
                        "<>>"}) {
    auto e = bad_path(s);
    EXPECT_EQ(e.field, "address") << s;
  }
}

TEST(Path, LengthLimits) {
  std::string local64(64, 'a'), local65(65, 'a');
  ok_path("<" + local64 + "@example.com>");
  EXPECT_EQ(bad_path("<" + local65 + "@example.com>").code, Errc::kTooLarge);
  std::string label63(63, 'b'), label64(64, 'b');
  ok_path("<u@" + label63 + ".com>");
  bad_path("<u@" + label64 + ".com>");
  std::string dom255 = label63 + "." + label63 + "." + label63 + "." + label63;  // 255
  ASSERT_EQ(dom255.size(), 255u);
  AddressLimits wide;
  wide.max_path = 400;
  EXPECT_TRUE(parse_path("<u@" + dom255 + ">", PathKind::kForward, false, wide).ok());
  EXPECT_EQ(parse_path("<u@" + dom255 + "x>", PathKind::kForward, false, wide).error().code,
            Errc::kTooLarge);
  EXPECT_EQ(bad_path("<u@" + dom255 + ">").code, Errc::kTooLarge);  // path > 256
  std::string huge = "<" + std::string(300, 'a') + "@example.com>";
  EXPECT_EQ(bad_path(huge).code, Errc::kTooLarge);
  AddressLimits tight;
  tight.max_local = 3;
  EXPECT_FALSE(parse_path("<abcd@example.com>", PathKind::kForward, false, tight).ok());
  EXPECT_TRUE(parse_path("<abc@example.com>", PathKind::kForward, false, tight).ok());
}

TEST(Path, Utf8NeedsSmtputf8AndValidUtf8) {
  bad_path("<j\xC3\xBCrgen@example.com>", PathKind::kForward, false);
  Path p = ok_path("<j\xC3\xBCrgen@b\xC3\xBC\x63her.de>", PathKind::kForward, true);
  EXPECT_TRUE(p.mailbox.utf8);
  bad_path("<j\xC3rgen@example.com>", PathKind::kForward, true);
  bad_path("<jurgen@b\xFF.de>", PathKind::kForward, true);
  bad_path("<\xC0\xAF@example.com>", PathKind::kForward, true);
  EXPECT_FALSE(ok_path("<ascii@example.com>", PathKind::kForward, true).mailbox.utf8);
}

TEST(Mailbox, BareForm) {
  auto m = parse_mailbox("a@b.c", false);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(parse_mailbox("a@b.c>", false).ok());
  EXPECT_FALSE(parse_mailbox("", false).ok());
}

TEST(Domain, Validation) {
  EXPECT_TRUE(valid_domain("a.b-c.d1", false));
  EXPECT_TRUE(valid_domain("localhost", false));
  EXPECT_FALSE(valid_domain("", false));
  EXPECT_FALSE(valid_domain("a_b", false));
  EXPECT_FALSE(valid_domain("b\xC3\xBC.de", false));
  EXPECT_TRUE(valid_domain("b\xC3\xBC.de", true));
}

}  // namespace
}  // namespace posthouse::smtp
