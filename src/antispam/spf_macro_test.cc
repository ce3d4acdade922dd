#include "antispam/spf_macro.h"

#include <gtest/gtest.h>

namespace posthouse::antispam {
namespace {

// The examples of RFC 7208 section 7.4.
class SpfMacro : public ::testing::Test {
 protected:
  SpfMacroContext ctx(std::string_view ip = "192.0.2.3") {
    SpfMacroContext c;
    c.sender = "strong-bad@email.example.com";
    c.local_part = "strong-bad";
    c.sender_domain = "email.example.com";
    c.domain = "email.example.com";
    c.ip = *IpAddress::parse(ip);
    c.helo = "mx.example.org";
    c.receiver = "mx.posthouse.example";
    c.timestamp = 1700000000;
    c.validated_name = [] { return std::string("mx.example.org"); };
    return c;
  }
  std::string expand(std::string_view text, std::string_view ip = "192.0.2.3",
                     MacroMode mode = MacroMode::kDomainSpec) {
    auto r = expand_macros(text, ctx(ip), mode);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : "";
  }
  std::string error_of(std::string_view text, MacroMode mode = MacroMode::kDomainSpec) {
    auto r = expand_macros(text, ctx(), mode);
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? "" : r.error().message;
  }
};

TEST_F(SpfMacro, Rfc7208Examples) {
  EXPECT_EQ(expand("%{s}"), "strong-bad@email.example.com");
  EXPECT_EQ(expand("%{o}"), "email.example.com");
  EXPECT_EQ(expand("%{d}"), "email.example.com");
  EXPECT_EQ(expand("%{d4}"), "email.example.com");
  EXPECT_EQ(expand("%{d3}"), "email.example.com");
  EXPECT_EQ(expand("%{d2}"), "example.com");
  EXPECT_EQ(expand("%{d1}"), "com");
  EXPECT_EQ(expand("%{dr}"), "com.example.email");
  EXPECT_EQ(expand("%{d2r}"), "example.email");
  EXPECT_EQ(expand("%{l}"), "strong-bad");
  EXPECT_EQ(expand("%{l-}"), "strong.bad");
  EXPECT_EQ(expand("%{lr}"), "strong-bad");
  EXPECT_EQ(expand("%{lr-}"), "bad.strong");
  EXPECT_EQ(expand("%{l1r-}"), "strong");
  EXPECT_EQ(expand("%{ir}.%{v}._spf.%{d2}"), "3.2.0.192.in-addr._spf.example.com");
  EXPECT_EQ(expand("%{lr-}.lp._spf.%{d2}"), "bad.strong.lp._spf.example.com");
  EXPECT_EQ(expand("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}"),
            "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
  EXPECT_EQ(expand("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}"),
            "3.2.0.192.in-addr.strong.lp._spf.example.com");
  EXPECT_EQ(expand("%{d2}.trusted-domains.example.net"), "example.com.trusted-domains.example.net");
  EXPECT_EQ(expand("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01"),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}

TEST_F(SpfMacro, EscapesUpperCaseAndLiterals) {
  SpfMacroContext c = ctx();
  c.local_part = "~jack&jill=up-a_b3.c";
  EXPECT_EQ(*expand_macros("l=%{L}", c, MacroMode::kExplanation), "l=~jack%26jill%3Dup-a_b3.c");
  EXPECT_EQ(expand("a%%b%_c%-d"), "a%b c%20d");
  EXPECT_EQ(expand("%{p}.%{h}"), "mx.example.org.mx.example.org");
  EXPECT_EQ(expand("%{c} %{r} %{t}", "2001:DB8::1", MacroMode::kExplanation),
            "2001:db8::1 mx.posthouse.example 1700000000");
  EXPECT_EQ(expand("%{l2r+-}", "192.0.2.3"), "bad.strong");
}

TEST_F(SpfMacro, SyntaxErrors) {
  EXPECT_EQ(error_of("%{a}"), "macro letter 'a' not allowed here");
  EXPECT_EQ(error_of("%{c}"), "macro letter 'c' not allowed here");
  EXPECT_EQ(error_of("%{r}.x"), "macro letter 'r' not allowed here");
  EXPECT_EQ(error_of("%{t}"), "macro letter 't' not allowed here");
  EXPECT_EQ(error_of("%{d0}"), "macro %{d0} keeps zero parts");
  EXPECT_EQ(error_of("%{d2x}"), "bad macro transformer in %{d2x}");
  EXPECT_EQ(error_of("%{d"), "unterminated macro in \"%{d\"");
  EXPECT_EQ(error_of("foo%"), "'%' at the end of \"foo%\"");
  EXPECT_EQ(error_of("%(ir)"), "bad macro escape '%(' in \"%(ir)\"");
  EXPECT_EQ(error_of("a b"), "character 0x20 not allowed in \"a b\"");
  EXPECT_EQ(error_of("caf\xc3\xa9", MacroMode::kExplanation),
            "character 0xc3 not allowed in \"caf\xc3\xa9\"");
  EXPECT_TRUE(check_macro_string("Mail from %{i} refused, see %{r}", MacroMode::kExplanation).ok());
}

TEST_F(SpfMacro, OutputIsBounded) {
  std::string many;
  for (int i = 0; i < 200; ++i) many += "%{s}";
  EXPECT_EQ(error_of(many), "macro expansion longer than 4096 bytes");
}

}  // namespace
}  // namespace posthouse::antispam
