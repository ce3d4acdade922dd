// ARC chain validation and sealing (arc_verifier.h, arc_sealer.h) over chains this file seals,
// with keys from data (MapTxtLookup); and RFC 8617 7.2.1 in authenticate_message(): a DMARC
// fail forgiven when a trusted sealer's chain passes and its ARC-Authentication-Results
// recorded dmarc=pass.
#include "antispam/arc_verifier.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "antispam/arc_sealer.h"
#include "antispam/message_auth.h"
#include "antispam/txt_lookup.h"
#include "base/strings.h"
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

// One RSA key per hop domain, made once (key generation is slow under ASan).
struct Hop {
  ArcSealKey key;
  std::string txt;
};
const Hop& hop(int n) {
  static const std::vector<Hop> hops = [] {
    std::vector<Hop> out;
    for (int i = 1; i <= 3; ++i) {
      auto k = queue::dkim_generate(queue::DkimAlgorithm::kRsaSha256,
                                    fmt::format("hop{}.example", i), "arc");
      EXPECT_TRUE(k);
      out.push_back({ArcSealKey{k->domain, k->selector, k->private_pem}, k->dns_txt()});
    }
    return out;
  }();
  return hops[n - 1];
}

MapTxtLookup keys() {
  MapTxtLookup dns;
  for (int i = 1; i <= 3; ++i) dns.add("arc._domainkey." + hop(i).key.domain, hop(i).txt);
  return dns;
}

// The message after `n` hops, each validating then sealing (signing `fields`, or the default).
std::string sealed(int n, std::string message = std::string(kMessage),
                   std::vector<std::string> fields = {}) {
  MapTxtLookup dns = keys();
  for (int i = 1; i <= n; ++i) {
    ArcVerification v = arc_verify(message, dns, kNow);
    ArcSealRequest req{fmt::format("mx.hop{}.example", i),
                       "spf=pass smtp.mailfrom=origin.example; " + arc_result_text(v), fields,
                       kNow + i};
    auto s = arc_seal(message, v, req, hop(i).key);
    EXPECT_TRUE(s) << s.error().message;
    if (!s) return message;
    message = s->fields() + message;
  }
  return message;
}

// The header unfolded, to find text whatever the folding.
std::string unfolded(std::string s) {
  for (std::size_t at; (at = s.find("\r\n\t")) != std::string::npos;) s.replace(at, 3, " ");
  return s;
}

std::string replace(std::string s, std::string_view from, std::string_view to) {
  auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(ArcVerify, NoArcFieldIsNone) {
  MapTxtLookup dns = keys();
  ArcVerification v = arc_verify(kMessage, dns, kNow);
  EXPECT_EQ(v.result, ArcResult::kNone);
  EXPECT_EQ(v.sets, 0u);
  EXPECT_EQ(arc_result_text(v), "arc=none");
  EXPECT_EQ(dns.queries(), 0);
}

TEST(ArcVerify, ChainsOfOneToThreeHopsPass) {
  for (int n = 1; n <= 3; ++n) {
    MapTxtLookup dns = keys();
    std::string m = sealed(n);
    ArcVerification v = arc_verify(m, dns, kNow);
    EXPECT_EQ(v.result, ArcResult::kPass) << n << ": " << v.reason;
    EXPECT_EQ(v.sets, static_cast<uint32_t>(n));
    EXPECT_EQ(v.oldest_pass, 0u);
    EXPECT_EQ(v.domain, fmt::format("hop{}.example", n));
    EXPECT_EQ(dns.queries(), n);  // one query per key name, however many sets use it
    EXPECT_EQ(arc_result_text(v, "192.0.2.1"),
              fmt::format("arc=pass (i={} d=hop{}.example) header.oldest-pass=0 "
                          "smtp.remote-ip=192.0.2.1",
                          n, n));
  }
  // Each hop saw the chain before it and said so in cv= and in its AAR.
  std::string m = unfolded(sealed(3));
  EXPECT_NE(m.find("cv=none; d=hop1.example; i=1"), std::string::npos);
  EXPECT_NE(m.find("cv=pass; d=hop3.example; i=3"), std::string::npos);
  EXPECT_NE(m.find("ARC-Authentication-Results: i=2; mx.hop2.example; spf=pass"),
            std::string::npos);
  EXPECT_NE(m.find("arc=pass (i=1 d=hop1.example) header.oldest-pass=0"), std::string::npos);
}

TEST(ArcVerify, ChangesAfterTheLastSealFail) {
  MapTxtLookup dns = keys();
  std::string m = sealed(2);
  auto check = [&](const std::string& changed, std::string_view reason) {
    ArcVerification v = arc_verify(changed, dns, kNow);
    EXPECT_EQ(v.result, ArcResult::kFail) << reason;
    EXPECT_EQ(v.reason, reason);
    EXPECT_FALSE(v.temporary);
    EXPECT_TRUE(arc_result_text(v).starts_with("arc=fail (")) << arc_result_text(v);
  };
  check(replace(m, "the body.", "the b0dy."), "ARC-Message-Signature i=2: body hash mismatch");
  check(replace(m, "Subject: hello", "Subject: hellO"),
        "ARC-Message-Signature i=2: signature did not verify");
  check(replace(m, "smtp.mailfrom=origin.example", "smtp.mailfrom=forged.example"),
        "ARC-Seal i=2: signature did not verify");
  // Relaxed canonicalization: whitespace changes are no change.
  ArcVerification v = arc_verify(replace(m, "Subject: hello", "Subject:   hello "), dns, kNow);
  EXPECT_EQ(v.result, ArcResult::kPass) << v.reason;
}

TEST(ArcVerify, BareLineFeedsReadAsCrlf) {
  MapTxtLookup dns = keys();
  std::string m = sealed(2);
  std::string lf;
  for (char c : m) {
    if (c != '\r') lf += c;
  }
  ArcVerification v = arc_verify(lf, dns, kNow);
  EXPECT_EQ(v.result, ArcResult::kPass) << v.reason;
  EXPECT_EQ(v.sets, 2u);
}

TEST(ArcVerify, ReasonsAreSafeInAComment) {
  ArcVerification v;
  v.result = ArcResult::kFail;
  v.reason = "ARC-Seal: unknown algorithm a=x(y)\\z";
  EXPECT_EQ(arc_result_text(v), "arc=fail (ARC-Seal: unknown algorithm a=x\\(y\\)\\\\z)");
  // What a sender writes reaches the reason as printable ASCII only.
  MapTxtLookup dns = keys();
  std::string m = "ARC-Seal: a=rsa-\x01sha256(\r\n" + std::string(kMessage);
  v = arc_verify(m, dns, kNow);
  EXPECT_EQ(v.result, ArcResult::kFail);
  for (char c : arc_result_text(v)) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << arc_result_text(v);
  }
}

TEST(ArcVerify, OldestPassNamesWhereTheMessageLastChanged) {
  // Hop 1 signs Subject, hop 2 only From; a change of Subject after hop 1 leaves hop 2's AMS
  // and every seal intact: the chain passes, but only from instance 2 on.
  MapTxtLookup dns = keys();
  std::string one = sealed(1);
  std::string changed = replace(one, "Subject: hello", "Subject: [list] hello");
  ArcVerification broken = arc_verify(changed, dns, kNow);
  ASSERT_EQ(broken.result, ArcResult::kFail);
  // A forwarder that reads the broken chain seals cv=fail; one that trusts it (as here, with
  // the validation made before the change) seals pass over the sets.
  ArcVerification before = arc_verify(one, dns, kNow);
  ArcSealRequest req{"mx.hop2.example", "arc=pass", {"from"}, kNow};
  auto s = arc_seal(changed, before, req, hop(2).key);
  ASSERT_TRUE(s) << s.error().message;
  ArcVerification v = arc_verify(s->fields() + changed, dns, kNow);
  EXPECT_EQ(v.result, ArcResult::kPass) << v.reason;
  EXPECT_EQ(v.oldest_pass, 2u);
}

TEST(ArcVerify, KeyProblems) {
  std::string m = sealed(1);
  MapTxtLookup none;
  ArcVerification v = arc_verify(m, none, kNow);
  EXPECT_EQ(v.result, ArcResult::kFail);
  EXPECT_FALSE(v.temporary);
  EXPECT_EQ(v.reason, "ARC-Message-Signature i=1: no key record at arc._domainkey.hop1.example");

  MapTxtLookup down;
  down.fail("arc._domainkey.hop1.example", "timeout");
  v = arc_verify(m, down, kNow);
  EXPECT_EQ(v.result, ArcResult::kFail);
  EXPECT_TRUE(v.temporary);
  EXPECT_EQ(arc_result_text(v),
            "arc=fail (temporary: ARC-Message-Signature i=1: key lookup of "
            "arc._domainkey.hop1.example failed: timeout)");
  // Sealing after a temporary failure would make it permanent.
  auto s = arc_seal(m, v, {"mx", "spf=pass", {}, kNow}, hop(2).key);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, base::Errc::kTemporary);

  MapTxtLookup wrong;  // hop 2's key published for hop 1
  wrong.add("arc._domainkey.hop1.example", hop(2).txt);
  EXPECT_EQ(arc_verify(m, wrong, kNow).reason,
            "ARC-Message-Signature i=1: signature did not verify");
}

TEST(ArcVerify, TooManyHeaderFieldsFail) {
  MapTxtLookup dns = keys();
  std::string m;
  for (int i = 0; i < 1001; ++i) m += "X-Filler: " + std::to_string(i) + "\r\n";
  ArcVerification v = arc_verify(m + std::string(kMessage), dns, kNow);
  EXPECT_EQ(v.result, ArcResult::kFail);
  EXPECT_EQ(v.reason, "message header has more than 1000 fields");
}

TEST(ArcVerify, DistinctKeysAreBounded) {
  MapTxtLookup dns = keys();
  std::string m = sealed(3);
  ArcVerifyLimits limits;
  limits.max_key_lookups = 2;
  ArcVerification v = arc_verify(m, dns, kNow, limits);
  EXPECT_EQ(v.result, ArcResult::kFail);
  EXPECT_EQ(v.reason, "more distinct keys than the lookup limit");
  EXPECT_EQ(dns.queries(), 2);
}

TEST(ArcSeal, FailedChainIsSealedAloneAndEndsThere) {
  MapTxtLookup dns = keys();
  std::string m = replace(sealed(1), "the body.", "changed.");
  ArcVerification v = arc_verify(m, dns, kNow);
  ASSERT_EQ(v.result, ArcResult::kFail);
  auto s = arc_seal(m, v, {"mx.hop2.example", "arc=fail", {}, kNow}, hop(2).key);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->instance, 2u);
  EXPECT_NE(s->seal.find("cv=fail"), std::string::npos);
  std::string next = s->fields() + m;
  ArcVerification after = arc_verify(next, dns, kNow);
  EXPECT_EQ(after.result, ArcResult::kFail);
  EXPECT_TRUE(after.terminated);
  auto again = arc_seal(next, after, {"mx.hop3.example", "arc=fail", {}, kNow}, hop(3).key);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message,
            "ARC seal: the chain already ends in cv=fail (RFC 8617 5.1): not sealed");
}

TEST(ArcSeal, RefusesWhatItCannotSealWell) {
  MapTxtLookup dns = keys();
  ArcVerification none = arc_verify(kMessage, dns, kNow);
  auto error = [&](ArcSealRequest req, ArcSealKey key) {
    auto s = arc_seal(kMessage, none, req, key);
    return s ? std::string("sealed") : s.error().message;
  };
  const ArcSealKey& key = hop(1).key;
  EXPECT_EQ(error({"mx", "", {}, kNow}, key), "ARC seal: no authentication results to carry");
  EXPECT_EQ(error({"mx;evil", "spf=pass", {}, kNow}, key),
            "ARC seal: the authserv-id is not a token");
  EXPECT_EQ(error({"mx", "spf=pass\x01", {}, kNow}, key),
            "ARC seal: control character in the results");
  EXPECT_EQ(error({"mx", "spf=pass", {"from", "arc-seal"}, kNow}, key),
            "ARC seal: the ARC-Message-Signature must not sign ARC-Seal");
  auto ed = queue::dkim_generate(queue::DkimAlgorithm::kEd25519Sha256, "hop1.example", "arc");
  ASSERT_TRUE(ed);
  EXPECT_EQ(error({"mx", "spf=pass", {}, kNow}, {"hop1.example", "arc", ed->private_pem}),
            "ARC seal: DKIM private key is not of the signature's algorithm");
  EXPECT_EQ(error({"mx", "spf=pass", {}, kNow}, {"hop1.example", "arc", "garbage"}),
            "ARC seal: DKIM private key unreadable");
  // A validation of another message.
  ArcVerification claimed;
  claimed.result = ArcResult::kPass;
  claimed.sets = 1;
  EXPECT_EQ(arc_seal(kMessage, claimed, {"mx", "spf=pass", {}, kNow}, key).error().message,
            "ARC seal: the message's ARC sets are not those its validation passed");
  ArcVerification claimed_none;
  claimed_none.sets = 2;
  EXPECT_EQ(arc_seal(kMessage, claimed_none, {"mx", "spf=pass", {}, kNow}, key).error().message,
            "ARC seal: a validation of none with ARC sets");
  // A line break in the results cannot start a field of its own.
  auto s = arc_seal(kMessage, none, {"mx", "spf=pass\r\nX-Evil: yes", {}, kNow}, key);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->aar, "ARC-Authentication-Results: i=1; mx; spf=pass X-Evil: yes\r\n");
}

TEST(ArcSeal, FiftySetsAtMost) {
  MapTxtLookup dns = keys();
  std::string m(kMessage);
  ArcVerification v;
  for (uint32_t i = 1; i <= kMaxArcInstances; ++i) {
    v.result = i == 1 ? ArcResult::kNone : ArcResult::kPass;
    v.sets = i - 1;
    auto s = arc_seal(m, v, {"mx", "spf=pass", {"from"}, kNow}, hop(1).key);
    ASSERT_TRUE(s) << i << ": " << s.error().message;
    m = s->fields() + m;
  }
  v = arc_verify(m, dns, kNow);
  EXPECT_EQ(v.result, ArcResult::kPass) << v.reason;
  EXPECT_EQ(v.sets, 50u);
  auto s = arc_seal(m, v, {"mx", "spf=pass", {}, kNow}, hop(1).key);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, base::Errc::kLimit);
  // A 51st set is a broken chain.
  std::string extra = "ARC-Seal: a=rsa-sha256; b=AAAA; cv=pass; d=hop1.example; i=51; s=arc\r\n";
  v = arc_verify(extra + m, dns, kNow);
  EXPECT_EQ(v.result, ArcResult::kFail);
  EXPECT_EQ(v.reason, "ARC-Seal: instance i=51 is outside 1..50");
}

TEST(ArcSeal, SignsTheUsualFieldsAndDkimSignatures) {
  MapTxtLookup dns = keys();
  std::string m = "DKIM-Signature: v=1; a=rsa-sha256; d=origin.example; s=x; b=AAAA\r\n" +
                  std::string(kMessage);
  ArcVerification none = arc_verify(m, dns, kNow);
  auto s = arc_seal(m, none, {"mx", "spf=pass", {}, kNow}, hop(1).key);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_NE(unfolded(s->ams).find("h=from:to:subject:date:message-id:dkim-signature;"),
            std::string::npos)
      << s->ams;
  std::string sealed_message = s->fields() + m;
  EXPECT_EQ(arc_verify(sealed_message, dns, kNow).result, ArcResult::kPass);
  // A sender's 300 To fields: h= stays within what a verifier reads (128 names).
  std::string crowd;
  for (int i = 0; i < 300; ++i) crowd += "To: r" + std::to_string(i) + "@x.example\r\n";
  auto many = arc_seal(crowd + m, none, {"mx", "spf=pass", {}, kNow}, hop(1).key);
  ASSERT_TRUE(many) << many.error().message;
  EXPECT_EQ(arc_verify(many->fields() + crowd + m, dns, kNow).result, ArcResult::kPass);
  ArcVerification v = arc_verify(replace(sealed_message, "b=AAAA", "b=AAAB"), dns, kNow);
  EXPECT_EQ(v.result, ArcResult::kFail);
  EXPECT_EQ(v.reason, "ARC-Message-Signature i=1: signature did not verify");
}

TEST(ArcSeal, CollectsTheServersOwnResults) {
  std::string m =
      "Authentication-Results: lists.example.org; arc=none\r\n"
      "Authentication-Results: lists.example.org; spf=pass smtp.mfrom=jqd@d1.example\r\n"
      "Authentication-Results: LISTS.example.org;\r\n"
      "  dkim=pass (1024-bit key) header.i=@d1.example; dmarc=pass\r\n"
      "Authentication-Results: nobody.example.org; something=ignored\r\n"
      "Authentication-Results: lists.example.org; none\r\n" +
      std::string(kMessage);
  EXPECT_EQ(arc_collect_results(m, "lists.example.org"),
            "arc=none; spf=pass smtp.mfrom=jqd@d1.example; dkim=pass (1024-bit key) "
            "header.i=@d1.example; dmarc=pass");
  EXPECT_EQ(arc_collect_results(m, "other.example"), "");
}

// -- trusted sealers and DMARC (message_auth.h) ------------------------------------------

// kMessage as hop 1 (a list) forwards it, its seal recording `results`.
std::string forwarded(const std::string& results) {
  MapTxtLookup dns = keys();
  ArcVerification none = arc_verify(kMessage, dns, kNow);
  auto s = arc_seal(kMessage, none, {"mx.hop1.example", results, {}, kNow}, hop(1).key);
  EXPECT_TRUE(s) << s.error().message;
  return s ? s->fields() + std::string(kMessage) : std::string(kMessage);
}

MessageAuth checked(const std::string& message, const std::vector<std::string>* trusted) {
  MapTxtLookup dns = keys();
  dns.add("_dmarc.origin.example", "v=DMARC1; p=reject");
  dns.add("origin.example", "v=spf1 -all");
  MessageAuthInput in;
  in.client_ip = "198.51.100.9";  // the list's host: SPF for origin.example fails
  in.helo = "mx.hop1.example";
  in.mail_from = "alice@origin.example";
  in.receiver = "mx.example.org";
  in.now = kNow + 10;
  in.arc_trusted_sealers = trusted;
  return authenticate_message(dns, PublicSuffixList::parse("example\n"), in, message);
}

TEST(ArcDmarc, ATrustedSealersPassOverridesTheDisposition) {
  std::vector<std::string> trusted = {"hop1.example"};
  auto a = checked(forwarded("spf=pass smtp.mailfrom=origin.example; dmarc=pass "
                             "header.from=origin.example"),
                   &trusted);
  EXPECT_EQ(a.arc.result, ArcResult::kPass);
  EXPECT_EQ(a.dmarc.result, DmarcResult::kFail) << "the result stays honest";
  EXPECT_EQ(a.dmarc.disposition, DmarcPolicy::kNone);
  EXPECT_EQ(a.dmarc.override_reason, "arc=hop1.example");
  EXPECT_NE(authentication_results(MessageAuthInput{}, a)
                .find("dmarc=fail (p=reject dis=none override=arc=hop1.example)"),
            std::string::npos);
}

TEST(ArcDmarc, NoOverrideUntrustedOrWithoutAPassOrABrokenChain) {
  std::vector<std::string> trusted = {"hop1.example"};
  std::vector<std::string> others = {"other.example"};
  std::string pass = forwarded("dmarc=pass header.from=origin.example");
  EXPECT_EQ(checked(pass, nullptr).dmarc.disposition, DmarcPolicy::kReject);
  EXPECT_EQ(checked(pass, &others).dmarc.disposition, DmarcPolicy::kReject);
  auto failed = checked(forwarded("dmarc=fail header.from=origin.example"), &trusted);
  EXPECT_EQ(failed.dmarc.disposition, DmarcPolicy::kReject);
  EXPECT_TRUE(failed.dmarc.override_reason.empty());
  // A comment that merely mentions dmarc=pass is not a result.
  EXPECT_EQ(checked(forwarded("spf=pass (dmarc=pass) smtp.mailfrom=origin.example"), &trusted)
                .dmarc.disposition,
            DmarcPolicy::kReject);
  // Changed after sealing: the chain fails, no override.
  auto broken = checked(replace(pass, "the body.", "Send money"), &trusted);
  EXPECT_EQ(broken.arc.result, ArcResult::kFail);
  EXPECT_EQ(broken.dmarc.disposition, DmarcPolicy::kReject);
}

}  // namespace
}  // namespace posthouse::antispam
