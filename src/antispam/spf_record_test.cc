#include "antispam/spf_record.h"

#include <gtest/gtest.h>

namespace posthouse::antispam {
namespace {

SpfRecord parse_ok(std::string_view text) {
  auto r = parse_spf_record(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : SpfRecord{};
}

std::string error_of(std::string_view text) {
  auto r = parse_spf_record(text);
  EXPECT_FALSE(r.ok()) << text << " parsed";
  return r.ok() ? "" : r.error().message;
}

TEST(SpfRecord, SelectsVersionOneRecordsOnly) {
  EXPECT_TRUE(is_spf_record("v=spf1"));
  EXPECT_TRUE(is_spf_record("V=SpF1 -all"));
  EXPECT_FALSE(is_spf_record("v=spf10"));
  EXPECT_FALSE(is_spf_record("v=spf1-all"));
  EXPECT_FALSE(is_spf_record("spf2.0/pra"));
}

TEST(SpfRecord, ParsesEveryMechanismWithQualifiersAndCidrs) {
  SpfRecord r = parse_ok(
      "v=spf1 +all -include:_spf.example.com ~a ?a:mail.%{d}/24//64 mx/30 "
      "ptr:example.org ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{i}.bl.example.net");
  ASSERT_EQ(r.mechanisms.size(), 9u);
  EXPECT_EQ(r.mechanisms[0].kind, SpfMechanismKind::kAll);
  EXPECT_EQ(r.mechanisms[1].qualifier, SpfQualifier::kFail);
  EXPECT_EQ(r.mechanisms[1].domain_spec, "_spf.example.com");
  EXPECT_EQ(r.mechanisms[2].qualifier, SpfQualifier::kSoftfail);
  EXPECT_EQ(r.mechanisms[2].domain_spec, "");
  EXPECT_EQ(r.mechanisms[3].qualifier, SpfQualifier::kNeutral);
  EXPECT_EQ(r.mechanisms[3].domain_spec, "mail.%{d}");
  EXPECT_EQ(r.mechanisms[3].cidr4, 24);
  EXPECT_EQ(r.mechanisms[3].cidr6, 64);
  EXPECT_EQ(r.mechanisms[4].cidr4, 30);
  EXPECT_EQ(r.mechanisms[4].cidr6, 128);
  EXPECT_EQ(r.mechanisms[6].network.to_string(), "192.0.2.0");
  EXPECT_EQ(r.mechanisms[7].cidr6, 32);
  EXPECT_TRUE(r.mechanisms[7].network.v6);
  EXPECT_EQ(r.mechanisms[8].domain_spec, "%{i}.bl.example.net");
}

TEST(SpfRecord, ModifiersKnownAndUnknown) {
  SpfRecord r = parse_ok("v=spf1 redirect=_spf.example.com exp=why.%{d} moo.cow-far_out=man:dog/cat");
  EXPECT_EQ(*r.redirect, "_spf.example.com");
  EXPECT_EQ(*r.exp, "why.%{d}");
  ASSERT_EQ(r.unknown_modifiers.size(), 1u);
  EXPECT_EQ(r.unknown_modifiers[0].name, "moo.cow-far_out");
  EXPECT_EQ(error_of("v=spf1 redirect=a.example.com redirect=b.example.com"),
            "SPF term \"redirect=b.example.com\": redirect= appears twice");
  EXPECT_EQ(error_of("v=spf1 exp=a.example.com exp=b.example.com"),
            "SPF term \"exp=b.example.com\": exp= appears twice");
  EXPECT_EQ(error_of("v=spf1 =foo"), "SPF term \"=foo\": bad modifier name");
  EXPECT_EQ(error_of("v=spf1 exp="), "SPF term \"exp=\": empty domain");
  EXPECT_EQ(error_of("v=spf1 foo=%(x)"),
            "SPF term \"foo=%(x)\": bad macro escape '%(' in \"%(x)\"");
}

TEST(SpfRecord, SyntaxErrorsAnywhereAreReported) {
  EXPECT_EQ(error_of("v=spf1 ip4:1.2.3.4 -all moo"), "SPF term \"moo\": unknown mechanism");
  EXPECT_EQ(error_of("v=spf1 redirect:t2.example.com"),
            "SPF term \"redirect:t2.example.com\": unknown mechanism");
  EXPECT_EQ(error_of("v=spf1 all:foo"), "SPF term \"all:foo\": \"all\" takes no argument");
  EXPECT_EQ(error_of("v=spf1 -all/8"), "SPF term \"-all/8\": \"all\" takes no argument");
  EXPECT_EQ(error_of("v=spf1 include"), "SPF term \"include\": missing \":domain\"");
  EXPECT_EQ(error_of("v=spf1 exists:"), "SPF term \"exists:\": empty domain");
  EXPECT_EQ(error_of("v=spf1 a:foo-bar"),
            "SPF term \"a:foo-bar\": domain must end in a macro or a valid top label");
  EXPECT_EQ(error_of("v=spf1 a:1.2.3.4"),
            "SPF term \"a:1.2.3.4\": domain must end in a macro or a valid top label");
  EXPECT_EQ(error_of("v=spf1 include:example.com/24"),
            "SPF term \"include:example.com/24\": domain must end in a macro or a valid top label");
  EXPECT_EQ(error_of("v=spf1 ptr/0"), "SPF term \"ptr/0\": missing \":domain\"");
}

TEST(SpfRecord, CidrLengthsAreChecked) {
  EXPECT_EQ(error_of("v=spf1 ip4:1.2.3.4/33"), "SPF term \"ip4:1.2.3.4/33\": CIDR length 33 over 32");
  EXPECT_EQ(error_of("v=spf1 ip4:1.2.3.4/032"), "SPF term \"ip4:1.2.3.4/032\": bad CIDR length");
  EXPECT_EQ(error_of("v=spf1 ip6:::1/129"), "SPF term \"ip6:::1/129\": CIDR length 129 over 128");
  EXPECT_EQ(error_of("v=spf1 a//129"), "SPF term \"a//129\": CIDR length 129 over 128");
  EXPECT_EQ(error_of("v=spf1 ip4:1.2.3.4//32"), "SPF term \"ip4:1.2.3.4//32\": bad CIDR length");
  EXPECT_EQ(error_of("v=spf1 ip4:1.2.3"), "SPF term \"ip4:1.2.3\": bad IPv4 address");
  EXPECT_EQ(error_of("v=spf1 ip4:1.2.3.4:8080"), "SPF term \"ip4:1.2.3.4:8080\": bad IPv4 address");
  EXPECT_EQ(error_of("v=spf1 ip6:1.2.3.4"), "SPF term \"ip6:1.2.3.4\": bad IPv6 address");
  EXPECT_EQ(error_of("v=spf1 ip4"), "SPF term \"ip4\": missing address");
  SpfRecord r = parse_ok("v=spf1 a//0 mx/0 ip4:0.0.0.0/0");
  EXPECT_EQ(r.mechanisms[0].cidr6, 0);
  EXPECT_EQ(r.mechanisms[0].cidr4, 32);
  EXPECT_EQ(r.mechanisms[1].cidr4, 0);
}

TEST(SpfRecord, OnlyVisibleAsciiSeparatedBySpaces) {
  EXPECT_EQ(error_of("v=spf1 a:example.net \x96" "all"),
            "SPF record holds byte 0x96: only visible ASCII and SP");
  EXPECT_EQ(error_of("v=spf1 ip4:192.0.2.5\n include:x.example.com"),
            "SPF record holds byte 0x0a: only visible ASCII and SP");
  EXPECT_EQ(parse_ok("v=spf1  a   -all ").mechanisms.size(), 2u);
}

TEST(SpfRecord, BoundsLengthAndTermCount) {
  std::string many = "v=spf1";
  for (int i = 0; i < 129; ++i) many += " ip4:192.0.2.1";
  EXPECT_EQ(error_of(many), "SPF record has more than 128 terms");
  std::string longer = "v=spf1 a:" + std::string(4100, 'x') + ".com";
  EXPECT_EQ(error_of(longer), "SPF record longer than 4096 bytes");
}

TEST(SpfRecord, FormatParsesBackToTheSameRecord) {
  for (std::string_view text :
       {"v=spf1", "v=spf1 -all", "v=spf1 a/24//64 mx:%{d}//0 ~ptr ?ip4:10.0.0.0/8 ip6:::ffff:1.2.3.4/96",
        "v=spf1 include:_spf.example.com exists:%{ir}.%{v}._spf.%{d2} redirect=x.example.com "
        "exp=e.example.com foo=bar%%"}) {
    SpfRecord r = parse_ok(text);
    SpfRecord again = parse_ok(r.format());
    EXPECT_EQ(again, r) << text << " -> " << r.format();
  }
  EXPECT_EQ(parse_ok("v=spf1 +a/32//128 -ip4:1.2.3.4/32").format(), "v=spf1 a -ip4:1.2.3.4");
}

}  // namespace
}  // namespace posthouse::antispam
