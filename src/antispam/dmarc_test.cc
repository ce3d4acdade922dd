#include "antispam/dmarc.h"

#include <gtest/gtest.h>

#include "antispam/public_suffix.h"
#include "antispam/test_dns.h"
#include "antispam/txt_lookup.h"

namespace posthouse::antispam {
namespace {

const PublicSuffixList& psl() {
  static const PublicSuffixList l = PublicSuffixList::parse(
      "// comment\ncom\nuk\nco.uk\n*.ck\n!www.ck\n\n// ===BEGIN PRIVATE DOMAINS===\n"
      "blogspot.com  trailing text\n");
  return l;
}

TEST(PublicSuffix, RulesWildcardsAndExceptions) {
  EXPECT_EQ(psl().public_suffix("a.b.example.com"), "com");
  EXPECT_EQ(psl().organizational_domain("a.b.Example.COM."), "example.com");
  EXPECT_EQ(psl().organizational_domain("mail.example.co.uk"), "example.co.uk");
  EXPECT_EQ(psl().organizational_domain("x.foo.blogspot.com"), "foo.blogspot.com");
  EXPECT_EQ(psl().public_suffix("a.b.ck"), "b.ck");  // *.ck
  EXPECT_EQ(psl().organizational_domain("a.b.ck"), "a.b.ck");
  EXPECT_EQ(psl().public_suffix("www.ck"), "ck");  // !www.ck
  EXPECT_EQ(psl().organizational_domain("mail.www.ck"), "www.ck");
  // No rule: the last label is the suffix ("*").
  EXPECT_EQ(psl().organizational_domain("a.b.example"), "b.example");
  EXPECT_EQ(psl().organizational_domain("co.uk"), "co.uk");
  EXPECT_EQ(psl().organizational_domain("localhost"), "localhost");
}

TEST(PublicSuffix, TheInstalledListLoads) {
  // scripts/install-deps installs Debian's publicsuffix; the server reads this file.
  auto l = PublicSuffixList::load_file(std::string(kPublicSuffixFile));
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_GT(l->size(), 5000u);
  EXPECT_EQ(l->organizational_domain("a.b.example.co.uk"), "example.co.uk");
  EXPECT_EQ(l->organizational_domain("mail.google.com"), "google.com");
}

TEST(DmarcRecord, ParsesEveryTagAndDefaults) {
  auto r = parse_dmarc_record("v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=r; pct=20; "
                              "rua=mailto:d@example.com; ri=3600; fo=1; future=x");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->policy, DmarcPolicy::kReject);
  EXPECT_EQ(r->subdomain_policy, DmarcPolicy::kQuarantine);
  EXPECT_TRUE(r->strict_dkim);
  EXPECT_FALSE(r->strict_spf);
  EXPECT_EQ(r->pct, 20);
  EXPECT_EQ(r->rua, "mailto:d@example.com");
  auto d = parse_dmarc_record("v=DMARC1;p=Quarantine");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->subdomain_policy, DmarcPolicy::kQuarantine);  // sp defaults to p
  EXPECT_EQ(d->pct, 100);
}

TEST(DmarcRecord, NpForNonExistentSubdomains) {
  auto r = parse_dmarc_record("v=DMARC1; p=none; np=reject");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->nonexistent_policy.has_value());
  EXPECT_EQ(*r->nonexistent_policy, DmarcPolicy::kReject);
  auto odd = parse_dmarc_record("v=DMARC1; p=none; np=maybe");  // ignored, as an unknown tag
  ASSERT_TRUE(odd) << odd.error().message;
  EXPECT_FALSE(odd->nonexistent_policy.has_value());
  EXPECT_FALSE(parse_dmarc_record("v=DMARC1; p=none")->nonexistent_policy.has_value());
}

TEST(DmarcRecord, RefusesWhatIsMalformed) {
  EXPECT_EQ(parse_dmarc_record("p=reject; v=DMARC1").error().message,
            "DMARC record: does not start with v=DMARC1");
  EXPECT_EQ(parse_dmarc_record("v=DMARC1").error().message, "DMARC record: no p= tag");
  EXPECT_EQ(parse_dmarc_record("v=DMARC1; p=block").error().message,
            "DMARC record: p= must be none, quarantine or reject");
  EXPECT_FALSE(parse_dmarc_record("v=DMARC1; p=reject; pct=101"));
  EXPECT_FALSE(parse_dmarc_record("v=DMARC1; p=reject; pct=5x"));
  EXPECT_FALSE(parse_dmarc_record("v=DMARC1; p=reject; adkim=x"));
  EXPECT_FALSE(parse_dmarc_record("v=DMARC1; p=reject; p=none"));  // duplicate tag
  // 6.6.3: a bad p with a valid rua is p=none.
  auto r = parse_dmarc_record("v=DMARC1; p=block; rua=mailto:agg@example.com");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->policy, DmarcPolicy::kNone);
}

class DmarcCheck : public ::testing::Test {
 protected:
  DmarcCheck() {
    dns_.add("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; pct=50");
    dns_.add("_dmarc.example.com", "some other text");
    dns_.add("_dmarc.strict.com", "v=DMARC1; p=reject; adkim=s; aspf=s");
    dns_.add("_dmarc.twice.com", "v=DMARC1; p=reject");
    dns_.add("_dmarc.twice.com", "v=DMARC1; p=none");
    dns_.add("_dmarc.broken.com", "v=DMARC1; p=reject; pct=x");
    dns_.fail("_dmarc.down.com", "timeout");
  }
  DmarcVerdict check(DmarcInput in) { return dmarc_check(dns_, psl(), in); }
  MapTxtLookup dns_;
};

TEST_F(DmarcCheck, AlignedSpfOrDkimPasses) {
  auto v = check({"example.com", true, "bounces.example.com", {}, 0});
  EXPECT_EQ(v.result, DmarcResult::kPass);
  EXPECT_TRUE(v.spf_aligned);
  EXPECT_EQ(v.disposition, DmarcPolicy::kNone);
  v = check({"example.com", false, "example.com", {"other.org", "mail.example.com"}, 0});
  EXPECT_EQ(v.result, DmarcResult::kPass);
  EXPECT_TRUE(v.dkim_aligned);
  EXPECT_FALSE(v.spf_aligned);  // SPF did not pass
  EXPECT_EQ(dmarc_result_text(v, "Example.com"),
            "dmarc=pass (p=reject dis=none) header.from=example.com");
}

TEST_F(DmarcCheck, UnalignedFailsWithThePolicyAndItsSample) {
  auto v = check({"example.com", true, "other.org", {"other.org"}, 10});
  EXPECT_EQ(v.result, DmarcResult::kFail);
  EXPECT_EQ(v.disposition, DmarcPolicy::kReject);
  // Outside pct=50: the next lower policy.
  v = check({"example.com", true, "other.org", {"other.org"}, 75});
  EXPECT_EQ(v.disposition, DmarcPolicy::kQuarantine);
  EXPECT_EQ(dmarc_result_text(v, "example.com"),
            "dmarc=fail (p=reject dis=quarantine) header.from=example.com");
}

TEST_F(DmarcCheck, ASubdomainUsesTheOrganizationalRecordAndSp) {
  int before = dns_.queries();
  auto v = check({"news.example.com", false, "", {}, 0});
  EXPECT_EQ(dns_.queries() - before, 2);
  EXPECT_EQ(v.record_domain, "example.com");
  EXPECT_EQ(v.result, DmarcResult::kFail);
  EXPECT_EQ(v.policy, DmarcPolicy::kQuarantine);
}

// RFC 9091: np= applies to a failing subdomain that does not exist (NXDOMAIN, or no A, AAAA
// and MX data); an existing subdomain, a DNS error, a pass or a record without np keep sp.
TEST(DmarcNp, AppliesToNonExistentSubdomainsOnly) {
  testing::FakeDns dns;
  dns.add("_dmarc.example.net", "TXT", "v=DMARC1; p=quarantine; sp=none; np=reject");
  dns.add("_dmarc.plain.net", "TXT", "v=DMARC1; p=quarantine; sp=none");
  dns.add("www.example.net", "A", "192.0.2.1");
  dns.add("v6.example.net", "AAAA", "2001:db8::1");
  dns.add("mail.example.net", "MX", "10 mx.example.net");
  dns.touch("empty.example.net");
  dns.add("flaky.example.net", "TIMEOUT");
  auto policy_of = [&](const std::string& from, bool pass = false) {
    auto v = dmarc_check(dns, psl(), {from, pass, from, {}, 0});
    return std::pair(v.result, v.policy);
  };
  using R = DmarcResult;
  using P = DmarcPolicy;
  EXPECT_EQ(policy_of("ghost.example.net"), std::pair(R::kFail, P::kReject));   // NXDOMAIN
  EXPECT_EQ(policy_of("empty.example.net"), std::pair(R::kFail, P::kReject));   // no data
  EXPECT_EQ(policy_of("www.example.net"), std::pair(R::kFail, P::kNone));       // A
  EXPECT_EQ(policy_of("v6.example.net"), std::pair(R::kFail, P::kNone));        // AAAA
  EXPECT_EQ(policy_of("mail.example.net"), std::pair(R::kFail, P::kNone));      // MX
  EXPECT_EQ(policy_of("flaky.example.net"), std::pair(R::kFail, P::kNone));     // DNS error
  EXPECT_EQ(policy_of("example.net"), std::pair(R::kFail, P::kQuarantine));     // the org: p
  EXPECT_EQ(policy_of("ghost.plain.net"), std::pair(R::kFail, P::kNone));       // no np: sp
  int before = dns.queries;
  auto v = dmarc_check(dns, psl(), {"ghost.example.net", true, "ghost.example.net", {}, 0});
  EXPECT_EQ(v.result, R::kPass);
  EXPECT_EQ(dns.queries - before, 2);  // the two TXT lookups, no existence check for a pass
}

TEST_F(DmarcCheck, StrictAlignmentWantsTheSameName) {
  auto v = check({"strict.com", true, "bounce.strict.com", {"mail.strict.com"}, 0});
  EXPECT_EQ(v.result, DmarcResult::kFail);
  v = check({"strict.com", false, "", {"mail.strict.com", "strict.com"}, 0});
  EXPECT_EQ(v.result, DmarcResult::kPass);
}

TEST_F(DmarcCheck, NoneTempErrorAndPermError) {
  auto v = check({"nodmarc.org", true, "nodmarc.org", {}, 0});
  EXPECT_EQ(v.result, DmarcResult::kNone);
  v = check({"twice.com", false, "", {}, 0});
  EXPECT_EQ(v.result, DmarcResult::kNone);  // several records: no policy (6.6.3)
  EXPECT_EQ(v.problem, "_dmarc.twice.com has 2 DMARC records");
  v = check({"down.com", false, "", {}, 0});
  EXPECT_EQ(v.result, DmarcResult::kTempError);
  v = check({"broken.com", false, "", {}, 0});
  EXPECT_EQ(v.result, DmarcResult::kPermError);
  EXPECT_EQ(dmarc_result_text(v, "broken.com"), "dmarc=permerror header.from=broken.com");
  // A header.from that is not a plain domain is left out of the header text.
  EXPECT_EQ(dmarc_result_text(v, "a b(c)"), "dmarc=permerror");
}

}  // namespace
}  // namespace posthouse::antispam
