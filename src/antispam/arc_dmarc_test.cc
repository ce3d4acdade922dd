// RFC 8617 section 7.2.1 in authenticate_message(): a DMARC fail forgiven when a trusted
// sealer's ARC chain passes and its ARC-Authentication-Results recorded dmarc=pass.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "antispam/arc_sealer.h"
#include "antispam/message_auth.h"
#include "antispam/test_dns.h"
#include "queue/dkim.h"

namespace posthouse::antispam {
namespace {

constexpr int64_t kNow = 1700000000;
constexpr std::string_view kMessage =
    "From: Alice <alice@origin.example>\r\n"
    "To: list@lists.example\r\n"
    "Subject: hello\r\n"
    "Date: Mon, 3 Jun 2024 10:00:00 +0000\r\n"
    "Message-ID: <1@origin.example>\r\n"
    "\r\n"
    "Hi all,\r\nthe body.\r\n";

struct Sealer {
  ArcSealKey key;
  std::string txt;
};
const Sealer& sealer() {
  static const Sealer s = [] {
    auto k = queue::dkim_generate(queue::DkimAlgorithm::kRsaSha256, "lists.example", "arc");
    EXPECT_TRUE(k);
    return Sealer{ArcSealKey{k->domain, k->selector, k->private_pem}, k->dns_txt()};
  }();
  return s;
}

testing::FakeDns dns() {
  testing::FakeDns d;
  d.add("arc._domainkey.lists.example", "TXT", sealer().txt);
  d.add("_dmarc.origin.example", "TXT", "v=DMARC1; p=reject");
  d.add("origin.example", "TXT", "v=spf1 -all");
  return d;
}

// The message as the list forwards it: sealed by lists.example with `results`.
std::string forwarded(const std::string& results) {
  auto d = dns();
  ArcVerification none = arc_verify(kMessage, d, kNow);
  auto s = arc_seal(kMessage, none, {"mx.lists.example", results, {}, kNow}, sealer().key);
  EXPECT_TRUE(s) << s.error().message;
  return s ? s->fields() + std::string(kMessage) : std::string(kMessage);
}

MessageAuth check(const std::string& message, const std::vector<std::string>* trusted) {
  auto d = dns();
  MessageAuthInput in;
  in.client_ip = "198.51.100.9";  // the list's host: SPF for origin.example fails
  in.helo = "mx.lists.example";
  in.mail_from = "alice@origin.example";
  in.receiver = "mx.example.org";
  in.now = kNow + 10;
  in.arc_trusted_sealers = trusted;
  return authenticate_message(d, PublicSuffixList::parse("example\n"), in, message);
}

TEST(ArcDmarc, ATrustedSealersPassOverridesTheDisposition) {
  std::vector<std::string> trusted = {"lists.example"};
  auto a = check(forwarded("spf=pass smtp.mailfrom=origin.example; dmarc=pass "
                           "header.from=origin.example"),
                 &trusted);
  EXPECT_EQ(a.arc.result, ArcResult::kPass);
  EXPECT_EQ(a.dmarc.result, DmarcResult::kFail) << "the result stays honest";
  EXPECT_EQ(a.dmarc.disposition, DmarcPolicy::kNone);
  EXPECT_EQ(a.dmarc.override_reason, "arc=lists.example");
  EXPECT_NE(authentication_results(MessageAuthInput{}, a)
                .find("dmarc=fail (p=reject dis=none override=arc=lists.example)"),
            std::string::npos);
}

TEST(ArcDmarc, NoOverrideUntrustedOrWithoutAPassOrABrokenChain) {
  std::vector<std::string> trusted = {"lists.example"};
  std::vector<std::string> others = {"other.example"};
  std::string pass = forwarded("dmarc=pass header.from=origin.example");
  EXPECT_EQ(check(pass, nullptr).dmarc.disposition, DmarcPolicy::kReject);
  EXPECT_EQ(check(pass, &others).dmarc.disposition, DmarcPolicy::kReject);
  auto failed = check(forwarded("dmarc=fail header.from=origin.example"), &trusted);
  EXPECT_EQ(failed.dmarc.disposition, DmarcPolicy::kReject);
  EXPECT_TRUE(failed.dmarc.override_reason.empty());
  // A comment that merely mentions dmarc=pass is not a result.
  EXPECT_EQ(check(forwarded("spf=pass (dmarc=pass) smtp.mailfrom=origin.example"), &trusted)
                .dmarc.disposition,
            DmarcPolicy::kReject);
  // Changed after sealing: the chain fails, no override.
  std::string changed = pass;
  changed.replace(changed.find("the body."), 9, "Send money");
  auto broken = check(changed, &trusted);
  EXPECT_EQ(broken.arc.result, ArcResult::kFail);
  EXPECT_EQ(broken.dmarc.disposition, DmarcPolicy::kReject);
}

}  // namespace
}  // namespace posthouse::antispam
