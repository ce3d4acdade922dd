#include "antispam/spf_check.h"

#include <gtest/gtest.h>

#include "antispam/test_dns.h"

namespace posthouse::antispam {
namespace {

using testing::FakeDns;

SpfRequest request(std::string ip, std::string mail_from, std::string helo = "mx.sender.example") {
  SpfRequest r;
  r.ip = std::move(ip);
  r.mail_from = std::move(mail_from);
  r.helo = std::move(helo);
  return r;
}

TEST(SpfCheck, ResultsFollowTheQualifierOfTheFirstMatch) {
  FakeDns dns;
  dns.add("example.com", "TXT", "v=spf1 ip4:192.0.2.0/24 ~ip4:198.51.100.1 ?ip6:2001:db8::/32 -all");
  dns.add("example.com", "TXT", "some-site-verification=abc");
  EXPECT_EQ(check_mail_from(dns, request("192.0.2.9", "a@example.com")).result, SpfResult::kPass);
  EXPECT_EQ(check_mail_from(dns, request("198.51.100.1", "a@example.com")).result,
            SpfResult::kSoftfail);
  EXPECT_EQ(check_mail_from(dns, request("2001:db8::5", "a@example.com")).result,
            SpfResult::kNeutral);
  EXPECT_EQ(check_mail_from(dns, request("203.0.113.1", "a@example.com")).result, SpfResult::kFail);
  // An IPv4-mapped client address is the IPv4 client.
  EXPECT_EQ(check_mail_from(dns, request("::ffff:192.0.2.9", "a@example.com")).result,
            SpfResult::kPass);
}

TEST(SpfCheck, NoneTemperrorAndPermerrorSayWhy) {
  FakeDns dns;
  dns.touch("nospf.example.com");
  dns.add("slow.example.com", "TIMEOUT");
  dns.add("two.example.com", "TXT", "v=spf1 -all");
  dns.add("two.example.com", "TXT", "v=spf1 +all");
  dns.add("bad.example.com", "TXT", "v=spf1 ip4:1.2.3.4 moo");
  SpfVerdict v = check_mail_from(dns, request("192.0.2.1", "a@nospf.example.com"));
  EXPECT_EQ(v.result, SpfResult::kNone);
  EXPECT_EQ(v.problem, "nospf.example.com has no SPF record");
  v = check_mail_from(dns, request("192.0.2.1", "a@slow.example.com"));
  EXPECT_EQ(v.result, SpfResult::kTemperror);
  EXPECT_EQ(v.problem, "DNS TXT of slow.example.com: timeout");
  v = check_mail_from(dns, request("192.0.2.1", "a@two.example.com"));
  EXPECT_EQ(v.result, SpfResult::kPermerror);
  EXPECT_EQ(v.problem, "two.example.com has several SPF records");
  v = check_mail_from(dns, request("1.2.3.4", "a@bad.example.com"));
  EXPECT_EQ(v.result, SpfResult::kPermerror);
  EXPECT_EQ(v.problem, "bad.example.com: SPF term \"moo\": unknown mechanism");
  v = check_mail_from(dns, request("not-an-ip", "a@two.example.com"));
  EXPECT_EQ(v.result, SpfResult::kNone);
  EXPECT_EQ(v.problem, "\"not-an-ip\" is no IP address");
}

TEST(SpfCheck, TenDnsMechanismsAtMost) {
  FakeDns dns;
  std::string record = "v=spf1";
  for (int i = 0; i < 10; ++i) {
    record += " a:h" + std::to_string(i) + ".example.com";
    dns.add("h" + std::to_string(i) + ".example.com", "A", "198.51.100.1");
  }
  dns.add("ten.example.com", "TXT", record + " ip4:192.0.2.1");
  dns.add("eleven.example.com", "TXT", record + " a:h0.example.com ip4:192.0.2.1");
  SpfVerdict v = check_mail_from(dns, request("192.0.2.1", "a@ten.example.com"));
  EXPECT_EQ(v.result, SpfResult::kPass);
  EXPECT_EQ(v.dns_lookups, 10);
  v = check_mail_from(dns, request("192.0.2.1", "a@eleven.example.com"));
  EXPECT_EQ(v.result, SpfResult::kPermerror);
  EXPECT_EQ(v.problem, "more than 10 DNS lookups");
}

TEST(SpfCheck, IncludeLoopsEndAtTheLookupLimit) {
  FakeDns dns;
  dns.add("loop.example.com", "TXT", "v=spf1 include:loop.example.com -all");
  dns.add("redir.example.com", "TXT", "v=spf1 redirect=redir.example.com");
  SpfVerdict v = check_mail_from(dns, request("192.0.2.1", "a@loop.example.com"));
  EXPECT_EQ(v.result, SpfResult::kPermerror);
  EXPECT_EQ(v.problem, "more than 10 DNS lookups");
  EXPECT_LE(dns.queries, 12);
  v = check_mail_from(dns, request("192.0.2.1", "a@redir.example.com"));
  EXPECT_EQ(v.result, SpfResult::kPermerror);
}

TEST(SpfCheck, TwoVoidLookupsAtMost) {
  FakeDns dns;
  dns.add("two.example.com", "TXT", "v=spf1 a:n1.example.com mx:n2.example.com ip4:192.0.2.1");
  dns.add("three.example.com", "TXT",
          "v=spf1 a:n1.example.com mx:n2.example.com exists:n3.example.com ip4:192.0.2.1");
  EXPECT_EQ(check_mail_from(dns, request("192.0.2.1", "a@two.example.com")).result,
            SpfResult::kPass);
  SpfVerdict v = check_mail_from(dns, request("192.0.2.1", "a@three.example.com"));
  EXPECT_EQ(v.result, SpfResult::kPermerror);
  EXPECT_EQ(v.problem, "more than 2 void DNS lookups");
}

TEST(SpfCheck, MoreThanTenMxNamesIsAPermerror) {
  FakeDns dns;
  dns.add("many.example.com", "TXT", "v=spf1 mx -all");
  for (int i = 0; i < 11; ++i) dns.add("many.example.com", "MX", "mx" + std::to_string(i) + ".example.com");
  SpfVerdict v = check_mail_from(dns, request("192.0.2.1", "a@many.example.com"));
  EXPECT_EQ(v.result, SpfResult::kPermerror);
  EXPECT_EQ(v.problem, "many.example.com has more than 10 MX records");
}

TEST(SpfCheck, ExplanationOnlyForFailOfTheDecidingRecord) {
  FakeDns dns;
  dns.add("example.com", "TXT", "v=spf1 include:inc.example.com -all exp=why.%{d}");
  dns.add("why.example.com", "TXT", "%{i} may not send for %{d} (%{c}, %{l})");
  dns.add("inc.example.com", "TXT", "v=spf1 ip4:198.51.100.0/24 -all exp=other.example.com");
  dns.add("other.example.com", "TXT", "wrong");
  SpfVerdict v = check_mail_from(dns, request("192.0.2.7", "bob@example.com"));
  EXPECT_EQ(v.result, SpfResult::kFail);
  EXPECT_EQ(v.explanation, "192.0.2.7 may not send for example.com (192.0.2.7, bob)");
  v = check_mail_from(dns, request("198.51.100.3", "bob@example.com"));
  EXPECT_EQ(v.result, SpfResult::kPass);
  EXPECT_EQ(v.explanation, "");
}

TEST(SpfCheck, NullSenderIsPostmasterAtHelo) {
  FakeDns dns;
  dns.add("mx.sender.example", "TXT", "v=spf1 a -all exp=e.sender.example");
  dns.add("mx.sender.example", "A", "192.0.2.25");
  dns.add("e.sender.example", "TXT", "%{s}");
  SpfVerdict v = check_mail_from(dns, request("192.0.2.25", ""));
  EXPECT_EQ(v.result, SpfResult::kPass);
  EXPECT_EQ(v.domain, "mx.sender.example");
  v = check_mail_from(dns, request("192.0.2.26", ""));
  EXPECT_EQ(v.result, SpfResult::kFail);
  EXPECT_EQ(v.explanation, "postmaster@mx.sender.example");
  EXPECT_EQ(check_helo(dns, request("192.0.2.25", "x@y.example")).result, SpfResult::kPass);
  EXPECT_EQ(check_helo(dns, request("192.0.2.25", "", "[192.0.2.25]")).result, SpfResult::kNone);
  EXPECT_EQ(check_helo(dns, request("192.0.2.25", "", "localhost")).result, SpfResult::kNone);
}

TEST(SpfCheck, PtrAndTheValidatedName) {
  FakeDns dns;
  dns.add("example.com", "TXT", "v=spf1 ptr -all exp=e.example.com");
  dns.add("e.example.com", "TXT", "from %{p}");
  dns.add("1.2.0.192.in-addr.arpa", "PTR", "mail.example.com");
  dns.add("2.2.0.192.in-addr.arpa", "PTR", "mail.example.com");  // forged: no matching A
  dns.add("mail.example.com", "A", "192.0.2.1");
  EXPECT_EQ(check_mail_from(dns, request("192.0.2.1", "a@example.com")).result, SpfResult::kPass);
  SpfVerdict v = check_mail_from(dns, request("192.0.2.2", "a@example.com"));
  EXPECT_EQ(v.result, SpfResult::kFail);
  EXPECT_EQ(v.explanation, "from unknown");
}

}  // namespace
}  // namespace posthouse::antispam
