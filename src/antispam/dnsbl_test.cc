#include "antispam/dnsbl.h"

#include <gtest/gtest.h>

#include "antispam/sender_checks.h"
#include "antispam/test_dns.h"

namespace posthouse::antispam {
namespace {

using net::DnsAnswer;
using net::DnsStatus;

IpAddress ip(std::string_view s) { return *IpAddress::parse(s); }

DnsAnswer a(std::vector<std::string> records) {
  return DnsAnswer{DnsStatus::kOk, std::move(records), {}};
}

DnsList block(std::string zone, std::vector<CodeRange> codes = {}) {
  return DnsList{std::move(zone), false, false, std::move(codes)};
}

TEST(DnsblQueryName, Ipv4IsReversedOctets) {
  EXPECT_EQ(query_name(ip("192.0.2.99"), "zen.example"), "99.2.0.192.zen.example");
  // A client over IPv6 with a mapped IPv4 address is an IPv4 client.
  EXPECT_EQ(query_name(ip("::ffff:192.0.2.1"), "zen.example"), "1.2.0.192.zen.example");
}

TEST(DnsblQueryName, Ipv6IsReversedNibbles) {
  // RFC 5782 section 2.4's example.
  EXPECT_EQ(query_name(ip("2001:db8:1:2:3:4:567:89ab"), "ugly.example.com"),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com");
}

TEST(DnsblQueryName, DomainAsItIs) {
  EXPECT_EQ(query_name("Spam.Example.", "dbl.example"), "spam.example.dbl.example");
  EXPECT_EQ(query_name("mail_1.spam-x.example", "dbl.example"),
            "mail_1.spam-x.example.dbl.example");
  EXPECT_EQ(query_name("[192.0.2.1]", "dbl.example"), std::nullopt);  // address literal
  EXPECT_EQ(query_name("192.0.2.1", "dbl.example"), std::nullopt);    // a bare address
  EXPECT_EQ(query_name("localhost", "dbl.example"), std::nullopt);    // no dot
  EXPECT_EQ(query_name("a..example", "dbl.example"), std::nullopt);
  EXPECT_EQ(query_name("", "dbl.example"), std::nullopt);
  EXPECT_EQ(query_name("sp am.example", "dbl.example"), std::nullopt);
  EXPECT_EQ(query_name(std::string(64, 'a') + ".example", "dbl.example"), std::nullopt);
  std::string long_name;
  for (int i = 0; i < 4; ++i) long_name += std::string(60, 'a') + ".";
  long_name += "example";  // 251 octets: fits alone, not with the zone
  EXPECT_EQ(query_name(long_name, "dbl.example"), std::nullopt);
}

TEST(DnsblAnswer, DefaultBlockCodes) {
  auto z = block("zen.example");
  auto r = interpret(z, a({"127.0.0.2"}));
  EXPECT_EQ(r.result, ListResult::kListed);
  EXPECT_EQ(r.code, "127.0.0.2");
  EXPECT_EQ(interpret(z, a({"127.0.0.254"})).result, ListResult::kListed);
  // 127.0.0.1 and other networks are no listing of a block list by default.
  r = interpret(z, a({"127.0.0.1"}));
  EXPECT_EQ(r.result, ListResult::kNotListed);
  EXPECT_EQ(r.detail, "answers outside the list's codes: 127.0.0.1");
  EXPECT_EQ(interpret(z, a({"127.0.1.2"})).result, ListResult::kNotListed);
}

TEST(DnsblAnswer, OnlyTheListsCodesCount) {
  auto z = block("zen.example", {{0x7f000002, 0x7f00000b}, {0x7f000014, 0x7f000014}});
  EXPECT_EQ(interpret(z, a({"127.0.0.11"})).result, ListResult::kListed);
  EXPECT_EQ(interpret(z, a({"127.0.0.20"})).result, ListResult::kListed);
  auto r = interpret(z, a({"127.0.0.12", "10.0.0.1"}));
  EXPECT_EQ(r.result, ListResult::kNotListed);
  EXPECT_EQ(r.detail,
            "answers outside the list's codes: 127.0.0.12, 10.0.0.1 (outside 127.0.0.0/8)");
  // One code of the list among others is a listing, with that code.
  r = interpret(z, a({"127.0.0.50", "127.0.0.4"}));
  EXPECT_EQ(r.result, ListResult::kListed);
  EXPECT_EQ(r.code, "127.0.0.4");
  EXPECT_EQ(r.detail, "");
}

TEST(DnsblAnswer, RefusedQueryIsTempErrorNeverListed) {
  // Spamhaus: 127.255.255.252 typo, .254 public resolver, .255 excessive queries.
  for (const char* code : {"127.255.255.252", "127.255.255.254", "127.255.255.255"}) {
    auto r = interpret(block("zen.example"), a({code}));
    EXPECT_EQ(r.result, ListResult::kTempError) << code;
    EXPECT_EQ(r.detail, std::string("the list refused the query (") + code + ")");
  }
  // Even beside a code of the list, and for an allow list.
  EXPECT_EQ(interpret(block("zen.example"), a({"127.0.0.2", "127.255.255.254"})).result,
            ListResult::kTempError);
  DnsList wl{"wl.example", false, true, {}};
  EXPECT_EQ(interpret(wl, a({"127.255.255.255"})).result, ListResult::kTempError);
}

TEST(DnsblAnswer, NoRecordIsNotListedDnsFailureIsTempError) {
  auto z = block("zen.example");
  EXPECT_EQ(interpret(z, DnsAnswer{DnsStatus::kNxDomain, {}, {}}).result, ListResult::kNotListed);
  EXPECT_EQ(interpret(z, DnsAnswer{DnsStatus::kNoData, {}, {}}).result, ListResult::kNotListed);
  auto r = interpret(z, DnsAnswer{DnsStatus::kTemporary, {}, "timeout"});
  EXPECT_EQ(r.result, ListResult::kTempError);
  EXPECT_EQ(r.detail, "timeout");
}

TEST(DnsblAnswer, DefaultAllowCodes) {
  DnsList wl{"wl.example", false, true, {}};
  EXPECT_EQ(interpret(wl, a({"127.0.10.1"})).result, ListResult::kListed);
  EXPECT_EQ(interpret(wl, a({"127.0.0.2"})).result, ListResult::kNotListed);
  EXPECT_EQ(interpret(wl, a({"127.0.0.255"})).result, ListResult::kNotListed);
}

class DnsblCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    lists_ = {block("zen.example"), DnsList{"dbl.example", true, false, {}},
              DnsList{"wl.example", false, true, {}}, block("refusing.example")};
    dns_.add("1.2.0.192.zen.example", "A", "127.0.0.3");
    dns_.add("1.2.0.192.wl.example", "A", "127.0.15.2");
    dns_.add("1.2.0.192.refusing.example", "A", "127.255.255.254");
    dns_.add("2.2.0.192.zen.example", "TIMEOUT");
    dns_.add("spam.example.dbl.example", "A", "127.0.0.2");
  }
  std::vector<DnsList> lists_;
  testing::FakeDns dns_;
};

TEST_F(DnsblCheck, ClientOnEveryIpList) {
  auto f = check_client(lists_, dns_, "192.0.2.1");
  EXPECT_EQ(f.queries, 3);  // the domain list is not asked about an address
  ASSERT_EQ(f.hits.size(), 3u);
  ASSERT_NE(f.blocked(), nullptr);
  EXPECT_EQ(refusal_text(*f.blocked()),
            "Client host [192.0.2.1] is listed by zen.example (127.0.0.3)");
  ASSERT_NE(f.allowed(), nullptr);
  EXPECT_EQ(dnswl_result_text(*f.allowed()), "dnswl=pass dns.zone=wl.example policy.ip=127.0.15.2");
  EXPECT_EQ(f.temperrors(), 1);
}

TEST_F(DnsblCheck, UnlistedAndFailingClients) {
  auto f = check_client(lists_, dns_, "192.0.2.9");
  EXPECT_EQ(f.queries, 3);
  EXPECT_TRUE(f.hits.empty());
  f = check_client(lists_, dns_, "192.0.2.2");
  EXPECT_EQ(f.blocked(), nullptr);
  EXPECT_EQ(f.temperrors(), 1);
  f = check_client(lists_, dns_, "not an address");
  EXPECT_EQ(f.queries, 0);
}

TEST_F(DnsblCheck, Domains) {
  auto f = check_domain(lists_, dns_, "SPAM.example", "Sender domain");
  EXPECT_EQ(f.queries, 1);
  ASSERT_NE(f.blocked(), nullptr);
  EXPECT_EQ(refusal_text(*f.blocked()),
            "Sender domain spam.example is listed by dbl.example (127.0.0.2)");
  f.append(check_domain(lists_, dns_, "[192.0.2.1]", "HELO name"));
  EXPECT_EQ(f.queries, 1);
  f = check_domain(lists_, dns_, "ham.example", "HELO name");
  EXPECT_EQ(f.queries, 1);
  EXPECT_TRUE(f.hits.empty());
}

TEST(DnsblResult, AllowListTempError) {
  ListHit h{"wl.example", true, "192.0.2.1", "Client host",
            ListAnswer{ListResult::kTempError, "", "timeout"}};
  EXPECT_EQ(dnswl_result_text(h), "dnswl=temperror dns.zone=wl.example");
  h.answer.result = ListResult::kNotListed;
  EXPECT_EQ(dnswl_result_text(h), "");
}

// The server's side: the lists through SenderChecks, the dnswl resinfo in the field.
TEST(DnsblSenderChecks, DnswlInAuthenticationResults) {
  auto dns = std::make_unique<testing::FakeDns>();
  dns->add("1.2.0.192.wl.example", "A", "127.0.15.2");
  SenderChecks checks(std::move(dns), PublicSuffixList::parse(""), "mx.example", "mx.example", 1,
                      {DnsList{"wl.example", false, true, {}}}, false);
  EXPECT_FALSE(checks.message_checks());
  EXPECT_TRUE(checks.has_lists(false));
  EXPECT_FALSE(checks.has_lists(true));
  auto f = checks.check_client("192.0.2.1");
  ASSERT_NE(f.allowed(), nullptr);
  std::string dnswl = dnswl_result_text(*f.allowed());
  EXPECT_EQ(checks.field_of({dnswl}),
            "Authentication-Results: mx.example;\r\n\tdnswl=pass dns.zone=wl.example "
            "policy.ip=127.0.15.2\r\n");
  EXPECT_EQ(checks.field_of({}), "");
  MessageAuthInput in;
  in.client_ip = "192.0.2.1";
  in.helo = "client.example";
  in.mail_from = "a@sender.example";
  std::string field = checks.field(in, MessageAuth{}, {dnswl});
  EXPECT_TRUE(field.starts_with("Authentication-Results: mx.example;\r\n\tspf=")) << field;
  EXPECT_TRUE(field.ends_with(";\r\n\t" + dnswl + "\r\n")) << field;
  // The one-line list an ARC seal records holds the same resinfos.
  std::string line = checks.results(in, MessageAuth{}, {dnswl});
  EXPECT_TRUE(line.starts_with("spf=")) << line;
  EXPECT_TRUE(line.ends_with("; " + dnswl)) << line;
  std::string unfolded = field.substr(field.find(';') + 1);
  for (std::size_t at; (at = unfolded.find("\r\n\t")) != std::string::npos;) unfolded.replace(at, 3, " ");
  EXPECT_EQ(" " + line + "\r\n", unfolded);
  checks.count_list_temperrors(2);
  EXPECT_EQ(checks.list_temperrors(), 2);
}

}  // namespace
}  // namespace posthouse::antispam
