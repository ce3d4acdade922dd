#include "queue/dkim.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "mime/dkim_canonical.h"
#include "protocol/text.h"
#include "queue/dns_records.h"
#include "queue/runner.h"
#include "queue/smtp_client.h"

namespace posthouse::queue {
namespace {

// Verifies the signature header with OpenSSL the way a verifier does (relaxed/relaxed).
bool verify(const DkimKey& k, const std::string& sig_header, const std::string& message) {
  auto tag = [&](const std::string& name) {
    auto p = sig_header.find(" " + name + "=");
    if (p == std::string::npos) p = sig_header.find("\t" + name + "=");
    auto start = p + name.size() + 2;
    auto end = sig_header.find(';', start);
    return sig_header.substr(start, end == std::string::npos ? std::string::npos : end - start);
  };
  std::string b = tag("b");
  while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.pop_back();
  std::string value = sig_header.substr(std::string("DKIM-Signature:").size());
  value = value.substr(0, value.rfind("b=") + 2);
  // Headers signed: from, to, subject in this test message.
  std::string data = mime::dkim_relaxed_header("From", " a@x.test") +
                     mime::dkim_relaxed_header("To", " b@y.test") +
                     mime::dkim_relaxed_header("Subject", " hi") +
                     mime::dkim_relaxed_header("DKIM-Signature", value);
  data.resize(data.size() - 2);
  auto sig = protocol::base64_decode(b, 4096);
  if (!sig) return false;
  std::string der = *protocol::base64_decode(k.public_b64, 4096);
  EVP_PKEY* pkey = nullptr;
  std::string input = data;
  const EVP_MD* md = EVP_sha256();
  if (k.algorithm == DkimAlgorithm::kRsaSha256) {
    auto* p = reinterpret_cast<const unsigned char*>(der.data());
    pkey = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
  } else {
    pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                       reinterpret_cast<const unsigned char*>(der.data()),
                                       der.size());
    unsigned char h[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), h);
    input.assign(reinterpret_cast<char*>(h), sizeof h);
    md = nullptr;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, pkey) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                             reinterpret_cast<const unsigned char*>(input.data()),
                             input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return ok;
}

TEST(Dkim, SignsAndVerifiesBothAlgorithms) {
  std::string msg = "From: a@x.test\r\nTo:   b@y.test\r\nSubject: hi\r\n\r\nbody  \r\n\r\n";
  for (auto a : {DkimAlgorithm::kRsaSha256, DkimAlgorithm::kEd25519Sha256}) {
    auto k = dkim_generate(a, "x.test", "s1");
    ASSERT_TRUE(k.ok()) << k.error().message;
    auto h = dkim_sign(*k, msg, 1700000000);
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_NE(h->find("h=from:to:subject;"), std::string::npos) << *h;
    EXPECT_NE(h->find("d=x.test; s=s1;"), std::string::npos);
    EXPECT_TRUE(verify(*k, *h, msg)) << *h;
    std::string tampered = *h;
    tampered.replace(tampered.find("x.test"), 6, "z.test");
    EXPECT_FALSE(verify(*k, tampered, msg));
  }
}

TEST(Dkim, RefusesMessageWithoutFrom) {
  auto k = dkim_generate(DkimAlgorithm::kEd25519Sha256, "x.test", "s1");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(dkim_sign(*k, "Subject: x\r\n\r\nb\r\n", 1).error().code, base::Errc::kInvalid);
}

TEST(DnsRecords, ListsWhatTheDomainNeeds) {
  DkimKey k;
  k.selector = "ph1r";
  k.public_b64 = std::string(400, 'A');
  auto recs = domain_dns_records("a.test", "mail.a.test", {k});
  ASSERT_GE(recs.size(), 5u);
  EXPECT_EQ(recs[0].zone_line(), "a.test. 3600 IN MX 10 mail.a.test.");
  EXPECT_EQ(recs[1].zone_line(), "a.test. 3600 IN TXT \"v=spf1 mx -all\"");
  EXPECT_EQ(recs[2].name, "ph1r._domainkey.a.test.");
  // TXT strings longer than 255 bytes are split.
  EXPECT_NE(recs[2].zone_line().find("\" \""), std::string::npos);
}

TEST(Outbound, DotStuffing) {
  EXPECT_EQ(dot_stuff(".a\r\nb\r\n.\r\n"), "..a\r\nb\r\n..\r\n.\r\n");
  EXPECT_EQ(dot_stuff("no end"), "no end\r\n.\r\n");
}

TEST(Outbound, CountsReceivedHeadersInTheHeaderOnly) {
  std::string m = "Received: a\r\nreceived: b\r\n\tfolded\r\nSubject: x\r\n\r\nReceived: body\r\n";
  EXPECT_EQ(Runner::count_received(m, 100), 2);
  EXPECT_EQ(Runner::count_received(m, 1), 1);
}

TEST(Outbound, BackoffDoublesUpToTheMaximum) {
  net::BlockingPool pool(1);
  RunnerOptions o;
  o.retry_initial = 60;
  o.retry_max = 300;
  Runner r(o, nullptr, nullptr, pool);
  EXPECT_EQ(r.next_attempt(1000, 0), 1060);
  EXPECT_EQ(r.next_attempt(1000, 1), 1120);
  EXPECT_EQ(r.next_attempt(1000, 2), 1240);
  EXPECT_EQ(r.next_attempt(1000, 3), 1300);
  EXPECT_EQ(r.next_attempt(1000, 50), 1300);
}

}  // namespace
}  // namespace posthouse::queue
