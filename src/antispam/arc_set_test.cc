// ARC-Authentication-Results, the ARC signature fields and the chain's structure (arc_set.h,
// parse_signature_field in dkim_signature.h).
#include "antispam/arc_set.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

namespace posthouse::antispam {
namespace {

constexpr std::string_view kB64 =
    "dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSBidXQgaXQgaXMgYmFzZTY0IGVuY29kZWQ=";
constexpr std::string_view kBh = "KWSe46TZKCcDbH4klJPo+tjk5LWJnVRlP5pvjXFZYLQ=";

std::string ams(int i, std::string_view extra = "") {
  return fmt::format(" a=rsa-sha256; b={}; bh={}; d=example.org; h=from:to; i={}; s=sel{}", kB64,
                     kBh, i, extra);
}
std::string seal(int i, std::string_view cv, std::string_view extra = "") {
  return fmt::format(" a=rsa-sha256; b={}; cv={}; d=example.org; i={}; s=sel{}", kB64, cv, i,
                     extra);
}
std::string set(int i, std::string_view cv) {
  return fmt::format(
      "ARC-Seal:{}\r\nARC-Message-Signature:{}\r\n"
      "ARC-Authentication-Results: i={}; mx.example.org; spf=pass\r\n",
      seal(i, cv), ams(i), i);
}
ArcChain chain_of(const std::string& head) {
  SignedMessage m(head + "From: a@example.org\r\n\r\nbody\r\n", 1000);
  return collect_arc_sets(m);
}

TEST(ArcSet, AuthResultsStartWithTheInstance) {
  auto r = parse_arc_auth_results(" i=2;\r\n\tmx.example.org; spf=pass smtp.mailfrom=a.example ");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->instance, 2u);
  EXPECT_EQ(r->authserv_id, "mx.example.org");
  EXPECT_EQ(r->payload, "mx.example.org; spf=pass smtp.mailfrom=a.example");
  EXPECT_TRUE(parse_arc_auth_results("i = 7 ; mx.example.org; none"));
  for (std::string_view bad :
       {" mx.example.org; i=1; spf=pass", " i=1 mx.example.org; spf=pass", " i=; mx", " i=0; mx",
        " i=51; mx", " i=1;", " i=1; ;", " i=99999999999; mx", " x=1; mx"}) {
    auto e = parse_arc_auth_results(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().code, base::Errc::kInvalid) << bad;
    EXPECT_TRUE(e.error().message.starts_with("ARC-Authentication-Results: ")) << bad;
  }
  auto big = parse_arc_auth_results(" i=1; mx; " + std::string(20000, 'x'));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, base::Errc::kTooLarge);
}

TEST(ArcSet, MessageSignatureIsDkimWithAnInstance) {
  auto s = parse_signature_field(SignatureField::kArcMessageSignature, ams(3, "; v=1"));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->instance, 3u);
  EXPECT_EQ(s->header_canon, mime::DkimCanon::kRelaxed);  // no c=: relaxed, unlike DKIM
  EXPECT_EQ(s->body_canon, mime::DkimCanon::kRelaxed);
  EXPECT_EQ(s->identity, "@example.org");
  EXPECT_EQ(s->headers, (std::vector<std::string>{"from", "to"}));

  auto no_from = parse_signature_field(SignatureField::kArcMessageSignature,
                                       fmt::format(" a=rsa-sha256; b={}; bh={}; d=example.org; "
                                                   "h=subject::date; i=1; s=sel",
                                                   kB64, kBh));
  ASSERT_TRUE(no_from) << no_from.error().message;
  EXPECT_EQ(no_from->headers, (std::vector<std::string>{"subject", "date"}));

  auto error = [](std::string v) {
    auto r = parse_signature_field(SignatureField::kArcMessageSignature, v);
    return r ? std::string("parsed") : r.error().message;
  };
  EXPECT_EQ(
      error(fmt::format(" a=rsa-sha256; b={}; bh={}; d=example.org; h=from; s=sel", kB64, kBh)),
      "ARC-Message-Signature: missing tag i=");
  EXPECT_EQ(error(ams(1, "; h=x")), "ARC-Message-Signature: duplicate tag h=");
  EXPECT_EQ(error(fmt::format(" a=rsa-sha256; b={}; bh={}; d=example.org; h=from:arc-seal; "
                              "i=1; s=sel",
                              kB64, kBh)),
            "ARC-Message-Signature: tag h= names ARC-Seal (RFC 8617 4.1.2)");
  EXPECT_EQ(error(fmt::format(" a=ed25519-sha256; b={}; bh={}; d=example.org; h=from; i=1; s=s",
                              kB64, kBh)),
            "ARC-Message-Signature: unknown algorithm a=ed25519-sha256");
  EXPECT_EQ(
      error(fmt::format(" a=rsa-sha256; b={}; bh={}; d=example.org; h=from; i=x; s=s", kB64, kBh)),
      "ARC-Message-Signature: instance i=x is not a number");
}

TEST(ArcSet, SealHasCvAndNoHeaderList) {
  auto s = parse_signature_field(SignatureField::kArcSeal, seal(2, "pass", "; c=simple/simple"));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->instance, 2u);
  EXPECT_EQ(s->chain_validation, "pass");
  EXPECT_EQ(s->header_canon, mime::DkimCanon::kRelaxed);  // c= plays no part in a seal
  auto error = [](std::string v) {
    auto r = parse_signature_field(SignatureField::kArcSeal, v);
    return r ? std::string("parsed") : r.error().message;
  };
  EXPECT_EQ(error(seal(1, "none", "; h=from")), "ARC-Seal: tag h= is not allowed (RFC 8617 4.1.3)");
  EXPECT_EQ(error(seal(1, "maybe")), "ARC-Seal: unknown chain validation cv=maybe");
  EXPECT_EQ(error(seal(1, "Pass")), "ARC-Seal: unknown chain validation cv=Pass");
  EXPECT_EQ(error(fmt::format(" a=rsa-sha256; b={}; d=example.org; i=1; s=sel", kB64)),
            "ARC-Seal: missing tag cv=");
}

TEST(ArcSet, CollectsAWholeChainInInstanceOrder) {
  ArcChain c = chain_of(set(2, "pass") + "Received: by x\r\n" + set(1, "none"));
  ASSERT_EQ(c.error, "");
  EXPECT_EQ(c.highest, 2u);
  ASSERT_EQ(c.sets.size(), 2u);
  EXPECT_EQ(c.sets[0].instance, 1u);
  EXPECT_EQ(c.sets[0].aar, 6u);  // fields: AS2 AMS2 AAR2 Received AS1 AMS1 AAR1
  EXPECT_EQ(c.sets[1].seal, 0u);
  EXPECT_EQ(c.sets[1].results.authserv_id, "mx.example.org");
  EXPECT_TRUE(chain_of("Subject: no arc\r\n").empty());
}

TEST(ArcSet, StructureProblemsBreakTheChain) {
  auto why = [](const std::string& head) { return chain_of(head).error; };
  EXPECT_EQ(why(set(1, "none") + set(1, "none")), "two ARC-Seal fields with i=1");
  EXPECT_EQ(why(set(3, "pass") + set(1, "none")), "ARC set i=2 has no ARC-Authentication-Results");
  EXPECT_EQ(why("ARC-Seal:" + seal(1, "none") + "\r\nARC-Authentication-Results: i=1; mx; x=y\r\n"),
            "ARC set i=1 has no ARC-Message-Signature");
  EXPECT_EQ(why(set(1, "pass")), "ARC-Seal i=1 has cv=pass (must be none)");
  EXPECT_EQ(why(set(2, "none") + set(1, "none")), "ARC-Seal i=2 has cv=none (must be pass)");
  EXPECT_EQ(why("ARC-Seal:" + seal(51, "pass") + "\r\n" + set(1, "none")),
            "ARC-Seal: instance i=51 is outside 1..50");
  EXPECT_EQ(why("ARC-Message-Signature:" + ams(0) + "\r\n" + set(1, "none")),
            "ARC-Message-Signature: instance i=0 is outside 1..50");
  EXPECT_EQ(why("ARC-Seal: a=rsa-sha256; i=1\r\n"), "ARC-Seal: missing tag b=");

  ArcChain ended = chain_of(set(2, "fail") + set(1, "none"));
  EXPECT_TRUE(ended.terminated);
  EXPECT_EQ(ended.error, "ARC-Seal i=2 says cv=fail: the chain was already broken");
  EXPECT_EQ(ended.highest, 2u);

  std::string lots;
  for (int i = 0; i < 151; ++i) lots += "ARC-Authentication-Results: i=1; mx; none\r\n";
  EXPECT_EQ(why(lots), "two ARC-Authentication-Results fields with i=1");
  std::string flood;
  for (int i = 1; i <= 50; ++i) flood += set(i, i == 1 ? "none" : "pass");
  flood += "ARC-Authentication-Results: i=1; mx; none\r\n";
  EXPECT_EQ(why(flood), "more than 150 ARC fields");
}

}  // namespace
}  // namespace posthouse::antispam
