#include "antispam/dkim_verifier.h"
#include "antispam/test_rfc8463.h"
#include "antispam/txt_lookup.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <memory>
#include <optional>

#include "base/strings.h"
#include "mime/dkim_canonical.h"
#include "protocol/text.h"
#include "queue/dkim.h"

namespace posthouse::antispam {
namespace {
using testing::kEdName;
using testing::kEdRecord;
using testing::kRfc8463;
using testing::kRfcTime;
using testing::replaced;
using testing::kRsaName;
using testing::kRsaRecord;

MapTxtLookup rfc_dns() {
  MapTxtLookup dns;
  dns.add(kEdName, std::string(kEdRecord));
  dns.add(kRsaName, std::string(kRsaRecord));
  return dns;
}

TEST(DkimVerify, Rfc8463AppendixAVerifiesWithBothAlgorithms) {
  auto dns = rfc_dns();
  auto r = dkim_verify(kRfc8463, dns, kRfcTime);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].result, DkimResult::kPass) << r[0].reason;
  EXPECT_EQ(r[0].algorithm, "ed25519-sha256");
  EXPECT_EQ(r[0].selector, "brisbane");
  EXPECT_EQ(r[1].result, DkimResult::kPass) << r[1].reason;
  EXPECT_EQ(r[1].algorithm, "rsa-sha256");
  EXPECT_FALSE(r[0].partial_body);
  EXPECT_EQ(dkim_result_text(r[0]),
            "dkim=pass header.d=football.example.com header.s=brisbane header.a=ed25519-sha256 "
            "header.b=/gCrinpc");
  EXPECT_EQ(dns.queries(), 2);
  // Bare LF line ends read as CRLF.
  std::string lf;
  for (char c : kRfc8463) {
    if (c != '\r') lf += c;
  }
  for (const auto& v : dkim_verify(lf, dns, kRfcTime)) EXPECT_EQ(v.result, DkimResult::kPass);
}

TEST(DkimVerify, TamperedBodyOrHeaderFails) {
  auto dns = rfc_dns();
  auto body = dkim_verify(replaced(kRfc8463, "We lost", "We won"), dns, kRfcTime);
  ASSERT_EQ(body.size(), 2u);
  for (const auto& v : body) {
    EXPECT_EQ(v.result, DkimResult::kFail);
    EXPECT_EQ(v.reason, "body hash mismatch");
  }
  auto header = dkim_verify(replaced(kRfc8463, "dinner ready", "lunch ready"), dns, kRfcTime);
  for (const auto& v : header) {
    EXPECT_EQ(v.result, DkimResult::kFail);
    EXPECT_EQ(v.reason, "signature did not verify");
  }
  // Relaxed: whitespace changes do not matter.
  auto ws = dkim_verify(replaced(kRfc8463, "Subject: Is dinner", "Subject:   Is \t dinner"), dns,
                        kRfcTime);
  for (const auto& v : ws) EXPECT_EQ(v.result, DkimResult::kPass) << v.reason;
}

TEST(DkimVerify, OverSignedFieldsRefuseAnAddedInstance) {
  // h= names From twice while the message has one: a From added on top breaks the signature.
  auto dns = rfc_dns();
  std::string added = replaced(kRfc8463, "From: Joe", "From: Evil <evil@example.net>\r\nFrom: Joe");
  for (const auto& v : dkim_verify(added, dns, kRfcTime)) EXPECT_EQ(v.result, DkimResult::kFail);
}

TEST(DkimVerify, UnsignedMessageHasNoResults) {
  auto dns = rfc_dns();
  EXPECT_TRUE(dkim_verify("From: a@b.test\r\n\r\nhi\r\n", dns, kRfcTime).empty());
  EXPECT_EQ(dns.queries(), 0);
}

TEST(DkimVerify, KeyLookupOutcomes) {
  MapTxtLookup none;
  auto r = dkim_verify(kRfc8463, none, kRfcTime);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].result, DkimResult::kPermError);
  EXPECT_EQ(r[0].reason, "no key record at brisbane._domainkey.football.example.com");
  MapTxtLookup temp;
  temp.fail(kEdName, "timeout");
  temp.add(kRsaName, "v=DKIM1; k=rsa; p=");
  r = dkim_verify(kRfc8463, temp, kRfcTime);
  EXPECT_EQ(r[0].result, DkimResult::kTempError);
  EXPECT_EQ(r[0].reason, "key lookup of brisbane._domainkey.football.example.com failed: timeout");
  EXPECT_EQ(r[1].result, DkimResult::kPermError);
  EXPECT_EQ(r[1].reason, "key record: key revoked (empty p=)");
  MapTxtLookup junk;
  junk.add(kEdName, "v=spf1 -all");
  junk.add(kEdName, std::string(kEdRecord));  // the first record that parses is the key
  junk.add(kRsaName, "k=rsa; p=AAAA");
  r = dkim_verify(kRfc8463, junk, kRfcTime);
  EXPECT_EQ(r[0].result, DkimResult::kPass) << r[0].reason;
  EXPECT_EQ(r[1].result, DkimResult::kPermError);
  EXPECT_EQ(r[1].reason, "key record: p= is not an RSA public key");
}

TEST(DkimVerify, TimeLimits) {
  auto dns = rfc_dns();
  auto early = dkim_verify(kRfc8463, dns, 1528637909 - 301);
  EXPECT_EQ(early[0].result, DkimResult::kPermError);
  EXPECT_EQ(early[0].reason, "DKIM-Signature: timestamp t= is in the future");
  EXPECT_EQ(dkim_verify(kRfc8463, dns, 1528637909 - 200)[0].result, DkimResult::kPass);
  std::string x = replaced(kRfc8463, "t=1528637909;", "t=1528637909; x=1528638000;");
  auto expired = dkim_verify(x, dns, 1528638000 + 301);
  EXPECT_EQ(expired[0].reason, "DKIM-Signature: signature expired (x=)");
}

// A signer for the cases the RFC example does not cover: any c=, l= and h=, with the keys
// queue/dkim.h generates. Header fields are selected bottom-up here, apart from the verifier.
struct Spec {
  std::string c = "relaxed/relaxed";
  std::vector<std::string> h = {"from", "subject"};
  std::optional<std::size_t> l;
  std::string extra;  // more tags, "t=...; "
};

std::string sign(const queue::DkimKey& k, const std::string& msg, const Spec& s) {
  auto canon = [](std::string_view v) {
    return v == "simple" ? mime::DkimCanon::kSimple : mime::DkimCanon::kRelaxed;
  };
  auto slash = s.c.find('/');
  auto hc = canon(s.c.substr(0, slash));
  auto bc = canon(s.c.substr(slash + 1));
  auto split = mime::dkim_split(msg, 1000);
  std::string body = mime::dkim_canonical_body(bc, split.body);
  if (s.l) body.resize(std::min(body.size(), *s.l));
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), md);
  std::string h;
  for (const auto& n : s.h) h += (h.empty() ? "" : ":") + n;
  std::string value =
      fmt::format(" v=1; a={}; c={}; d={}; s={}; h={};{}{}\r\n bh={}; b=",
                  queue::dkim_algorithm_name(k.algorithm), s.c, k.domain, k.selector, h,
                  s.l ? fmt::format(" l={};", *s.l) : "", s.extra.empty() ? "" : " " + s.extra,
                  protocol::base64_encode(std::string(reinterpret_cast<char*>(md), sizeof md)));
  std::string data;
  std::vector<bool> used(split.fields.size());
  for (const auto& n : s.h) {
    for (std::size_t i = split.fields.size(); i-- > 0;) {
      if (used[i] || !base::iequals(split.fields[i].name, n)) continue;
      used[i] = true;
      data += mime::dkim_canonical_header(hc, split.fields[i].name, split.fields[i].value);
      break;
    }
  }
  data += mime::dkim_canonical_header(hc, "DKIM-Signature", value);
  data.resize(data.size() - 2);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(k.private_pem.data(), static_cast<int>(k.private_pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  bool rsa = k.algorithm == queue::DkimAlgorithm::kRsaSha256;
  std::string in = data;
  if (!rsa) {
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
    in.assign(reinterpret_cast<char*>(md), sizeof md);
  }
  EXPECT_EQ(
      EVP_DigestSignInit(ctx.get(), nullptr, rsa ? EVP_sha256() : nullptr, nullptr, pkey.get()), 1);
  std::size_t len = 0;
  auto* p = reinterpret_cast<const unsigned char*>(in.data());
  EXPECT_EQ(EVP_DigestSign(ctx.get(), nullptr, &len, p, in.size()), 1);
  std::string sig(len, '\0');
  EXPECT_EQ(
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, p, in.size()),
      1);
  sig.resize(len);
  return "DKIM-Signature:" + value + protocol::base64_encode(sig) + "\r\n" + msg;
}

class DkimVerifySigned : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ed_ = new queue::DkimKey(
        *queue::dkim_generate(queue::DkimAlgorithm::kEd25519Sha256, "x.test", "ed"));
    rsa_ = new queue::DkimKey(
        *queue::dkim_generate(queue::DkimAlgorithm::kRsaSha256, "x.test", "rsa"));
  }
  static void TearDownTestSuite() {
    delete ed_;
    delete rsa_;
  }
  MapTxtLookup dns() const {
    MapTxtLookup d;
    d.add("ed._domainkey.x.test", ed_->dns_txt());
    d.add("rsa._domainkey.x.test", rsa_->dns_txt());
    return d;
  }
  std::vector<DkimVerification> verify(const std::string& m) {
    auto d = dns();
    return dkim_verify(m, d, 1700000000);
  }
  static inline queue::DkimKey* ed_ = nullptr;
  static inline queue::DkimKey* rsa_ = nullptr;
  const std::string msg_ =
      "From: a@x.test\r\nSubject: folded\r\n  subject\r\nTo: b@y.test\r\n\r\nline  one \r\n"
      "\r\nline two\r\n\r\n\r\n";
};

TEST_F(DkimVerifySigned, EveryCanonicalizationPassesAndCatchesTampering) {
  for (const char* c : {"simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed"}) {
    for (auto* k : {ed_, rsa_}) {
      std::string m = sign(*k, msg_, Spec{c, {"from", "subject"}, {}, ""});
      auto r = verify(m);
      ASSERT_EQ(r.size(), 1u);
      EXPECT_EQ(r[0].result, DkimResult::kPass) << c << ": " << r[0].reason;
      EXPECT_EQ(verify(replaced(m, "line two", "line 2"))[0].result, DkimResult::kFail) << c;
      EXPECT_EQ(verify(replaced(m, "a@x.test", "b@x.test"))[0].result, DkimResult::kFail) << c;
      // Trailing empty lines are not part of either canonical body.
      EXPECT_EQ(verify(m + "\r\n\r\n")[0].result, DkimResult::kPass) << c;
      // Whitespace inside a body line: only relaxed body canonicalization absorbs it.
      bool relaxed_body = std::string_view(c).ends_with("relaxed");
      EXPECT_EQ(verify(replaced(m, "line  one", "line \t one"))[0].result,
                relaxed_body ? DkimResult::kPass : DkimResult::kFail)
          << c;
    }
  }
}

TEST_F(DkimVerifySigned, ASecondFromFailsEvenWhenTheSignedOneIsIntact) {
  // Only From signed, not over-signed: the added field is outside the signature, but a reader
  // would show it.
  std::string m = sign(*ed_, msg_, Spec{"relaxed/relaxed", {"from"}, {}, ""});
  ASSERT_EQ(verify(m)[0].result, DkimResult::kPass);
  auto pos = m.find("From: a@x.test");
  ASSERT_NE(pos, std::string::npos);
  std::string two = m.substr(0, pos) + "From: evil@attacker.test\r\n" + m.substr(pos);
  auto r = verify(two);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::kFail);
  EXPECT_EQ(r[0].reason, "the message has 2 From fields");
  EXPECT_EQ(r[0].domain, "x.test");
}

TEST_F(DkimVerifySigned, BodyLengthLeavesTheTailUnsigned) {
  std::string m = sign(*ed_, msg_, Spec{"relaxed/relaxed", {"from"}, 10, ""});
  auto r = verify(m + "Appended by anyone.\r\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, DkimResult::kPass) << r[0].reason;
  EXPECT_TRUE(r[0].partial_body);
  EXPECT_EQ(r[0].signed_body_bytes, 10u);
  EXPECT_GT(r[0].body_bytes, 10u);
  EXPECT_NE(dkim_result_text(r[0]).find("(l= leaves "), std::string::npos);
  // l= covering the whole body: not partial.
  std::string whole = sign(*ed_, msg_, Spec{"relaxed/relaxed", {"from"}, 22, ""});
  auto w = verify(whole);
  EXPECT_EQ(w[0].result, DkimResult::kPass) << w[0].reason;
  EXPECT_FALSE(w[0].partial_body);
  // l= larger than the body: fail.
  auto cut = verify(replaced(whole, "line two", "two"));
  EXPECT_EQ(cut[0].result, DkimResult::kFail);
  EXPECT_EQ(cut[0].reason, "l=22 is longer than the body (17 bytes)");
}

TEST_F(DkimVerifySigned, SeveralSignaturesEachWithItsOwnResult) {
  std::string m = sign(*ed_, msg_, Spec{});
  m = sign(*rsa_, m, Spec{"relaxed/relaxed", {"from", "dkim-signature"}, {}, ""});
  // A third one with a key that is not the one published under its selector.
  auto other = *queue::dkim_generate(queue::DkimAlgorithm::kEd25519Sha256, "x.test", "ed");
  m = sign(other, m, Spec{});
  auto r = verify(m);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].result, DkimResult::kFail);  // top: the stranger's key
  EXPECT_EQ(r[0].reason, "signature did not verify");
  EXPECT_EQ(r[1].result, DkimResult::kPass) << r[1].reason;  // signs the ed25519 signature
  EXPECT_EQ(r[2].result, DkimResult::kPass) << r[2].reason;
}

// Decoded keys are kept by their bytes (dkim_key.cc): a selector whose published key changes
// is checked against the key published now, never against the one seen before.
TEST_F(DkimVerifySigned, AKeyChangedUnderTheSameSelectorIsTheOneUsed) {
  for (auto* k : {rsa_, ed_}) {
    auto next = *queue::dkim_generate(k->algorithm, "x.test", k->selector);
    std::string by_old = sign(*k, msg_, Spec{});
    std::string by_next = sign(next, msg_, Spec{});
    MapTxtLookup before, after;
    before.add(k->selector + "._domainkey.x.test", k->dns_txt());
    after.add(k->selector + "._domainkey.x.test", next.dns_txt());
    for (int round = 0; round < 2; ++round) {  // the second round reads the kept keys
      EXPECT_EQ(dkim_verify(by_old, before, 1700000000)[0].result, DkimResult::kPass);
      EXPECT_EQ(dkim_verify(by_old, after, 1700000000)[0].result, DkimResult::kFail);
      EXPECT_EQ(dkim_verify(by_next, after, 1700000000)[0].result, DkimResult::kPass);
      EXPECT_EQ(dkim_verify(by_next, before, 1700000000)[0].result, DkimResult::kFail);
    }
  }
}

TEST_F(DkimVerifySigned, SignaturesFromTheOutboundSignerVerify) {
  std::string m = queue::dkim_sign_all({*rsa_, *ed_}, msg_, 1700000000);
  auto r = verify(m);
  ASSERT_EQ(r.size(), 2u);
  for (const auto& v : r) EXPECT_EQ(v.result, DkimResult::kPass) << v.reason;
}

TEST_F(DkimVerifySigned, KeyPolicies) {
  // t=s: i= must be d= exactly.
  std::string m = sign(*ed_, msg_, Spec{"relaxed/relaxed", {"from"}, {}, "i=@sub.x.test;"});
  auto d = MapTxtLookup();
  d.add("ed._domainkey.x.test", "v=DKIM1; k=ed25519; t=s; p=" + ed_->public_b64);
  auto r = dkim_verify(m, d, 1700000000);
  EXPECT_EQ(r[0].reason, "key record: t=s, but i= is in a subdomain of d=");
  // t=y is reported.
  auto y = MapTxtLookup();
  y.add("ed._domainkey.x.test", "v=DKIM1; k=ed25519; t=y; p=" + ed_->public_b64);
  r = dkim_verify(m, y, 1700000000);
  EXPECT_EQ(r[0].result, DkimResult::kPass) << r[0].reason;
  EXPECT_TRUE(r[0].testing);
  // RSA keys under 1024 bits are refused.
  auto small = *queue::dkim_generate(queue::DkimAlgorithm::kRsaSha256, "x.test", "rsa");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> k512(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(512)), EVP_PKEY_free);
  ASSERT_TRUE(k512);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), k512.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  small.private_pem.assign(p, static_cast<std::size_t>(n));
  int len = i2d_PUBKEY(k512.get(), nullptr);
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_PUBKEY(k512.get(), &out);
  auto s = MapTxtLookup();
  s.add("rsa._domainkey.x.test", "v=DKIM1; k=rsa; p=" + protocol::base64_encode(der));
  r = dkim_verify(sign(small, msg_, Spec{}), s, 1700000000);
  EXPECT_EQ(r[0].result, DkimResult::kPermError);
  EXPECT_EQ(r[0].reason, "key record: RSA key of 512 bits is too small (at least 1024)");
}

TEST_F(DkimVerifySigned, BoundsWhatTheSenderControls) {
  std::string m = msg_;
  for (int i = 0; i < 10; ++i) m = sign(*ed_, m, Spec{});
  auto r = verify(m);
  ASSERT_EQ(r.size(), 10u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(r[i].result, DkimResult::kPass) << r[i].reason;
  EXPECT_EQ(r[8].result, DkimResult::kNeutral);
  EXPECT_EQ(r[9].reason, "not checked: more than 8 signatures");
  std::string many = sign(*ed_, msg_, Spec{});
  std::string junk;
  for (int i = 0; i < 1000; ++i) junk += "X-Junk: x\r\n";
  auto over = verify(replaced(many, "From: a@x.test\r\n", junk + "From: a@x.test\r\n"));
  ASSERT_EQ(over.size(), 1u);
  EXPECT_EQ(over[0].result, DkimResult::kPermError);
  EXPECT_EQ(over[0].reason, "message header has more than 1000 fields");
  // A reason with parentheses is quoted inside the comment.
  DkimVerification v;
  v.reason = "a (b) \\ c\r\n";
  EXPECT_EQ(dkim_result_text(v), "dkim=permerror (a \\(b\\) \\\\ c)");
}

}  // namespace
}  // namespace posthouse::antispam
