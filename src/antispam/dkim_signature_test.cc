#include "antispam/dkim_signature.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "antispam/dkim_key.h"

namespace posthouse::antispam {
namespace {

constexpr std::string_view kBh = "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=";

std::string sig_value(std::string_view extra = "", std::string_view h = "from:to") {
  return fmt::format(
      " v=1; a=rsa-sha256; d=Example.ORG; s=Sel1; h={};{}\r\n\tbh={}; b=AAAA\r\n BBBB", h, extra,
      kBh);
}

std::string error_of(std::string_view value) {
  auto r = parse_dkim_signature(value);
  return r ? "ok" : r.error().message;
}

TEST(DkimVerifyTags, ParsesATagList) {
  auto t = parse_dkim_tag_list(" a = 1 ;b=x y\r\n z; c=;", "test");
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->size(), 3u);
  EXPECT_EQ((*t)[0].name, "a");
  EXPECT_EQ((*t)[0].value, "1");
  EXPECT_EQ((*t)[1].value, "x y\r\n z");
  EXPECT_EQ((*t)[2].value, "");
  EXPECT_TRUE(parse_dkim_tag_list("", "test")->empty());
}

TEST(DkimVerifyTags, RefusesMalformedLists) {
  EXPECT_EQ(parse_dkim_tag_list("a=1; a=2", "test").error().message, "test: duplicate tag a=");
  EXPECT_EQ(parse_dkim_tag_list("a=1;;b=2", "test").error().message, "test: empty tag-spec");
  EXPECT_EQ(parse_dkim_tag_list(";", "test").error().message, "test: empty tag-spec");
  EXPECT_EQ(parse_dkim_tag_list("a=1; junk", "test").error().message,
            "test: tag-spec without '=': \"junk\"");
  EXPECT_EQ(parse_dkim_tag_list("1a=1", "test").error().message, "test: bad tag name \"1a\"");
  EXPECT_EQ(parse_dkim_tag_list("a=\x01", "test").error().message,
            "test: control character in tag a=");
  std::string many;
  for (int i = 0; i <= 64; ++i) many += fmt::format("t{}=1;", i);
  auto r = parse_dkim_tag_list(many, "test");
  EXPECT_EQ(r.error().code, base::Errc::kTooLarge);
  EXPECT_EQ(r.error().message, "test: more than 64 tags");
}

TEST(DkimVerifySignature, ParsesEveryTag) {
  auto s = parse_dkim_signature(
      sig_value(" c=simple/relaxed; i=joe@Mail.Example.org; l=12; t=100; x=200; q=dns/txt; z=a|b;",
                "From : To:FROM"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->algorithm, DkimAlgorithm::kRsaSha256);
  EXPECT_EQ(s->domain, "example.org");
  EXPECT_EQ(s->selector, "sel1");
  EXPECT_EQ(s->headers, (std::vector<std::string>{"from", "to", "from"}));
  EXPECT_EQ(s->header_canon, mime::DkimCanon::kSimple);
  EXPECT_EQ(s->body_canon, mime::DkimCanon::kRelaxed);
  EXPECT_EQ(s->identity, "joe@Mail.Example.org");
  EXPECT_EQ(s->identity_domain, "mail.example.org");
  EXPECT_EQ(s->body_length, 12u);
  EXPECT_EQ(s->timestamp, 100);
  EXPECT_EQ(s->expiration, 200);
  EXPECT_EQ(s->signature.size(), 6u);
  EXPECT_EQ(s->body_hash.size(), 32u);
  EXPECT_EQ(s->b_prefix, "AAAABBBB");
  // b='s value and the FWS around it are gone; everything else is as written.
  EXPECT_TRUE(s->unsigned_value.ends_with(fmt::format("\tbh={}; b=", kBh))) << s->unsigned_value;
}

TEST(DkimVerifySignature, Defaults) {
  auto s = parse_dkim_signature(sig_value());
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->header_canon, mime::DkimCanon::kSimple);
  EXPECT_EQ(s->body_canon, mime::DkimCanon::kSimple);
  EXPECT_EQ(s->identity, "@example.org");
  EXPECT_FALSE(s->body_length);
  auto r = parse_dkim_signature(sig_value(" c=relaxed;"));
  EXPECT_EQ(r->header_canon, mime::DkimCanon::kRelaxed);
  EXPECT_EQ(r->body_canon, mime::DkimCanon::kSimple);
}

TEST(DkimVerifySignature, RefusesWhatRfc6376Refuses) {
  EXPECT_EQ(error_of(" v=1; a=rsa-sha256; d=a.org; s=s; h=from; b=AAAA"),
            "DKIM-Signature: missing tag bh=");
  EXPECT_EQ(error_of(sig_value(" v=2;")), "DKIM-Signature: duplicate tag v=");
  std::string v2 = sig_value();
  v2.replace(v2.find("v=1"), 3, "v=2");
  EXPECT_EQ(error_of(v2), "DKIM-Signature: unknown version v=2");
  std::string sha1 = sig_value();
  sha1.replace(sha1.find("rsa-sha256"), 10, "rsa-sha1");
  EXPECT_EQ(error_of(sha1), "DKIM-Signature: a=rsa-sha1 is not accepted (RFC 8301)");
  EXPECT_EQ(error_of(sig_value("", "to:subject")), "DKIM-Signature: tag h= does not include From");
  EXPECT_EQ(error_of(sig_value("", "from::to")), "DKIM-Signature: bad field name \"\" in h=");
  EXPECT_EQ(error_of(sig_value(" i=joe@other.org;")),
            "DKIM-Signature: identity domain other.org is not d=example.org or below it");
  EXPECT_EQ(error_of(sig_value(" i=joe@badexample.org;")),
            "DKIM-Signature: identity domain badexample.org is not d=example.org or below it");
  EXPECT_EQ(error_of(sig_value(" i=joe;")), "DKIM-Signature: identity i= has no '@'");
  EXPECT_EQ(error_of(sig_value(" c=fancy/simple;")),
            "DKIM-Signature: unknown canonicalization \"fancy\" in c=");
  EXPECT_EQ(error_of(sig_value(" q=http;")), "DKIM-Signature: no known query method in q=http");
  EXPECT_EQ(error_of(sig_value(" t=200; x=100;")),
            "DKIM-Signature: expiration x= is before timestamp t=");
  EXPECT_EQ(error_of(sig_value(" t=1234567890123;")),
            "DKIM-Signature: timestamp t= is not a number of at most 12 digits");
  EXPECT_EQ(error_of(sig_value(" l=-1;")), "DKIM-Signature: body length l= is not a number");
  std::string bad_d = sig_value();
  bad_d.replace(bad_d.find("Example.ORG"), 11, "exa mple..org");
  EXPECT_EQ(error_of(bad_d), "DKIM-Signature: d=exa?mple..org is not a domain name");
  std::string bad_bh = sig_value();
  bad_bh.replace(bad_bh.find(kBh), 4, "!!!!");
  EXPECT_EQ(error_of(bad_bh), "DKIM-Signature: body hash bh= is not a base64 SHA-256 hash");
}

TEST(DkimVerifySignature, Limits) {
  // l= of 76 digits (RFC 6376 allows it) saturates: larger than any body.
  auto s = parse_dkim_signature(sig_value(" l=" + std::string(76, '9') + ";"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(*s->body_length, UINT64_MAX);
  std::string h = "from";
  for (int i = 0; i < 128; ++i) h += ":x";
  auto many = parse_dkim_signature(sig_value("", h));
  EXPECT_EQ(many.error().code, base::Errc::kTooLarge);
  EXPECT_EQ(many.error().message, "DKIM-Signature: h= names more than 128 fields");
  std::string big_b = sig_value();
  big_b.replace(big_b.find("AAAA"), 4, std::string(1500, 'A'));
  EXPECT_EQ(error_of(big_b), "DKIM-Signature: signature b= longer than 1024 bytes");
  EXPECT_EQ(parse_dkim_signature(std::string(9000, ' ')).error().code, base::Errc::kTooLarge);
}

TEST(DkimVerifyKeyRecord, ParsesRecords) {
  auto k = parse_dkim_key_record("v=DKIM1; k=ed25519; h=sha256; s=email; t=y:s; p=AAAA");
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->type, DkimKeyType::kEd25519);
  EXPECT_EQ(k->public_key, std::string(3, '\0'));
  EXPECT_TRUE(k->testing);
  EXPECT_TRUE(k->strict_identity);
  EXPECT_FALSE(k->revoked);
  auto d = parse_dkim_key_record("p=AA AA");  // defaults: rsa, no flags; FWS in p= ignored
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->type, DkimKeyType::kRsa);
  EXPECT_FALSE(d->testing);
  EXPECT_TRUE(parse_dkim_key_record("v=DKIM1; p=")->revoked);
  EXPECT_TRUE(parse_dkim_key_record("s=*; h=sha1:sha256; p=AAAA").ok());
}

TEST(DkimVerifyKeyRecord, RefusesBadRecords) {
  auto err = [](std::string_view txt) {
    auto r = parse_dkim_key_record(txt);
    return r ? "ok" : r.error().message;
  };
  EXPECT_EQ(err("k=rsa; v=DKIM1; p=AAAA"), "key record: v= is not the first tag");
  EXPECT_EQ(err("v=DKIM2; p=AAAA"), "key record: version is not v=DKIM1");
  EXPECT_EQ(err("k=dsa; p=AAAA"), "key record: unknown key type in k=");
  EXPECT_EQ(err("h=sha1; p=AAAA"), "key record: h= does not allow sha256");
  EXPECT_EQ(err("s=tlsrpt; p=AAAA"), "key record: s= does not offer email");
  EXPECT_EQ(err("v=DKIM1; k=rsa"), "key record: missing tag p=");
  EXPECT_EQ(err("p=!!!!"), "key record: p= is not base64");
  EXPECT_EQ(err("p=AAAA; p=AAAA"), "key record: duplicate tag p=");
  EXPECT_EQ(err("p=" + std::string(4000, 'A')), "key record: p= longer than 2048 bytes");
  EXPECT_EQ(err(std::string(5000, ' ')), "key record: longer than 4096 bytes");
}

TEST(DkimVerifyKeyRecord, KeyMustFitTheAlgorithm) {
  DkimKeyRecord ed{DkimKeyType::kEd25519, std::string(32, 'k'), false, false, false};
  auto r = dkim_check_signature(ed, DkimAlgorithm::kRsaSha256, "data", "sig");
  EXPECT_EQ(r.error().message, "key record: a=rsa-sha256 with a k=ed25519 key");
  DkimKeyRecord rsa{DkimKeyType::kRsa, "not der", false, false, false};
  EXPECT_EQ(dkim_check_signature(rsa, DkimAlgorithm::kRsaSha256, "d", "s").error().message,
            "key record: p= is not an RSA public key");
  EXPECT_EQ(dkim_check_signature(rsa, DkimAlgorithm::kEd25519Sha256, "d", "s").error().message,
            "key record: a=ed25519-sha256 with a k=rsa key");
  DkimKeyRecord short_ed{DkimKeyType::kEd25519, "abc", false, false, false};
  EXPECT_EQ(dkim_check_signature(short_ed, DkimAlgorithm::kEd25519Sha256, "d", "s").error().message,
            "key record: p= is not a 32-byte Ed25519 key");
  DkimKeyRecord revoked{DkimKeyType::kRsa, "", true, false, false};
  EXPECT_EQ(dkim_check_signature(revoked, DkimAlgorithm::kRsaSha256, "d", "s").error().message,
            "key record: key revoked (empty p=)");
}

}  // namespace
}  // namespace posthouse::antispam
