#include "antispam/message_auth.h"

#include <gtest/gtest.h>

#include "antispam/test_dns.h"
#include "antispam/test_rfc8463.h"

namespace posthouse::antispam {
namespace {

using testing::FakeDns;
using testing::kRfc8463;
using testing::kRfcTime;
using testing::replaced;

// The RFC 8463 message comes from football.example.com, signed with both keys; its SPF
// record allows 192.0.2.0/24 and its DMARC record asks for reject.
FakeDns football_dns() {
  FakeDns dns;
  dns.add(std::string(testing::kEdName), "TXT", std::string(testing::kEdRecord));
  dns.add(std::string(testing::kRsaName), "TXT", std::string(testing::kRsaRecord));
  dns.add("football.example.com", "TXT", "v=spf1 ip4:192.0.2.0/24 -all");
  dns.add("mail.football.example.com", "TXT", "v=spf1 a -all");
  dns.add("mail.football.example.com", "A", "192.0.2.1");
  dns.add("_dmarc.football.example.com", "TXT", "v=DMARC1; p=reject");
  return dns;
}

PublicSuffixList psl() { return PublicSuffixList::parse("com\nnet\norg\n"); }

MessageAuthInput input(std::string ip, std::string mail_from = "joe@football.example.com") {
  MessageAuthInput in;
  in.client_ip = std::move(ip);
  in.helo = "mail.football.example.com";
  in.mail_from = std::move(mail_from);
  in.receiver = "mx.example.org";
  in.now = kRfcTime;
  return in;
}

TEST(MessageAuth, EverythingPassesFromTheSendersOwnNetwork) {
  auto dns = football_dns();
  auto in = input("192.0.2.1");
  auto a = authenticate_message(dns, psl(), in, kRfc8463);
  EXPECT_EQ(a.spf_mail_from.result, SpfResult::kPass);
  EXPECT_EQ(a.spf_helo.result, SpfResult::kPass);
  ASSERT_EQ(a.dkim.size(), 2u);
  EXPECT_EQ(a.from_domain, "football.example.com");
  EXPECT_EQ(a.dmarc.result, DmarcResult::kPass);
  EXPECT_EQ(verified_domain(a), "football.example.com") << "by SPF";
  EXPECT_EQ(authentication_results_field("mx.example.org", in, a),
            "Authentication-Results: mx.example.org;\r\n"
            "\tspf=pass smtp.mailfrom=joe@football.example.com;\r\n"
            "\tspf=pass smtp.helo=mail.football.example.com;\r\n"
            "\tdkim=pass header.d=football.example.com header.s=brisbane "
            "header.a=ed25519-sha256 header.b=/gCrinpc;\r\n"
            "\tdkim=pass header.d=football.example.com header.s=test header.a=rsa-sha256 "
            "header.b=F45dVWDf;\r\n"
            "\tdmarc=pass (p=reject dis=none) header.from=football.example.com\r\n");
}

TEST(MessageAuth, AlignedDkimPassesDmarcWhenSpfFails) {
  auto dns = football_dns();
  auto a = authenticate_message(dns, psl(), input("198.51.100.7"), kRfc8463);
  EXPECT_EQ(a.spf_mail_from.result, SpfResult::kFail);
  EXPECT_EQ(a.dmarc.result, DmarcResult::kPass);
  EXPECT_TRUE(a.dmarc.dkim_aligned);
  EXPECT_FALSE(a.dmarc.spf_aligned);
  EXPECT_EQ(verified_domain(a), "football.example.com") << "by DKIM";
}

TEST(MessageAuth, ForgedMessageFailsDmarcWithTheDomainsPolicy) {
  auto dns = football_dns();
  auto in = input("198.51.100.7");
  auto a = authenticate_message(dns, psl(), in, replaced(kRfc8463, "We lost", "Send money"));
  EXPECT_EQ(a.spf_mail_from.result, SpfResult::kFail);
  for (const auto& v : a.dkim) EXPECT_EQ(v.result, DkimResult::kFail);
  EXPECT_EQ(a.dmarc.result, DmarcResult::kFail);
  EXPECT_EQ(a.dmarc.disposition, DmarcPolicy::kReject);
  EXPECT_EQ(verified_domain(a), "") << "nothing passed";
  std::string ar = authentication_results_field("mx.example.org", in, a);
  EXPECT_NE(ar.find("\tspf=fail smtp.mailfrom=joe@football.example.com;\r\n"), std::string::npos)
      << ar;
  EXPECT_NE(ar.find("dmarc=fail (p=reject dis=reject) header.from=football.example.com\r\n"),
            std::string::npos)
      << ar;
}

TEST(MessageAuth, SpfAlignsWithTheHeloNameForTheNullSender) {
  auto dns = football_dns();
  dns.add("_dmarc.mail.football.example.com", "TXT", "v=DMARC1; p=reject");
  std::string msg = replaced(kRfc8463, "From: Joe SixPack <joe@football.example.com>",
                             "From: <mailer-daemon@mail.football.example.com>");
  auto in = input("192.0.2.1", "");
  auto a = authenticate_message(dns, psl(), in, msg);
  EXPECT_EQ(a.spf_mail_from.result, SpfResult::kPass);
  EXPECT_EQ(a.from_domain, "mail.football.example.com");
  EXPECT_EQ(a.dmarc.result, DmarcResult::kPass);
  EXPECT_TRUE(a.dmarc.spf_aligned);
  std::string ar = authentication_results_field("mx.example.org", in, a);
  EXPECT_NE(ar.find("\tspf=pass smtp.helo=mail.football.example.com;\r\n"), std::string::npos)
      << ar;
  EXPECT_EQ(ar.find("smtp.mailfrom"), std::string::npos) << ar;
}

TEST(MessageAuth, NoSingleFromDomainIsAPermerrorWithoutLookup) {
  for (std::string_view from :
       {"From: a@football.example.com\r\nFrom: b@example.net\r\n",
        "From: a@football.example.com, b@example.net\r\n", "From: undisclosed\r\n"}) {
    auto dns = football_dns();
    std::string msg = std::string(from) + "Subject: x\r\n\r\nbody\r\n";
    auto a = authenticate_message(dns, psl(), input("192.0.2.1"), msg);
    EXPECT_EQ(a.from_domain, "") << from;
    EXPECT_EQ(a.dmarc.result, DmarcResult::kPermError) << from;
    int before = dns.queries;
    EXPECT_NE(authentication_results_field("mx", input("192.0.2.1"), a)
                  .find("dmarc=permerror (no single From domain)"),
              std::string::npos);
    EXPECT_EQ(dns.queries, before);
  }
  EXPECT_EQ(single_from_domain("Subject: none\r\n\r\n"), "");
  EXPECT_EQ(single_from_domain("FROM: \"A, B\" <x@Example.NET.>\r\n\r\n"), "example.net");
}

TEST(MessageAuth, HostileSenderTextNeverBreaksTheField) {
  auto dns = football_dns();
  auto in = input("192.0.2.1", "\"we;ird\"@football.example.com");
  in.helo = "bad;helo\r\nX-Injected: 1";
  auto a = authenticate_message(dns, psl(), in, kRfc8463);
  std::string ar = authentication_results_field("mx.example.org", in, a);
  EXPECT_NE(ar.find("smtp.mailfrom=football.example.com;"), std::string::npos) << ar;
  EXPECT_EQ(ar.find("X-Injected"), std::string::npos) << ar;
  EXPECT_EQ(ar.find("we;ird"), std::string::npos) << ar;
  // One field: every line after the first is a continuation.
  std::size_t pos = ar.find("\r\n");
  while (pos + 2 < ar.size()) {
    EXPECT_EQ(ar[pos + 2], '\t') << ar;
    pos = ar.find("\r\n", pos + 2);
  }
}

}  // namespace
}  // namespace posthouse::antispam
