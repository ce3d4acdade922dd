#include "directory/address.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace posthouse::directory {
namespace {

std::string norm(std::string_view d) {
  auto r = normalize_domain(d);
  return r.ok() ? *r : "ERR:" + r.error().message;
}

TEST(Address, DomainsAreLowerCasedAndIdnaEncoded) {
  EXPECT_EQ(norm("Example.COM"), "example.com");
  EXPECT_EQ(norm("example.com."), "example.com");
  EXPECT_EQ(norm("bücher.example"), "xn--bcher-kva.example");
  EXPECT_EQ(norm("BÜCHER.Example"), "xn--bcher-kva.example");
  EXPECT_EQ(norm("xn--bcher-kva.example"), "xn--bcher-kva.example");
  EXPECT_EQ(norm("faß.de"), "xn--fa-hia.de");  // IDNA2008 non-transitional keeps ß
}

TEST(Address, BadDomainsAreRejected) {
  for (auto bad : {"", "localhost", "-a.example", "a-.example", "a..example", "a_b.example",
                   "exa mple.com", "\xff\xfe.com", "a@b.com"}) {
    auto r = normalize_domain(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, base::Errc::kInvalid) << bad;
    EXPECT_EQ(r.error().field, "domain");
  }
  EXPECT_FALSE(normalize_domain(std::string(64, 'a') + ".com").ok());
  std::string longname;
  for (int i = 0; i < 60; ++i) longname += "abcd.";
  EXPECT_FALSE(normalize_domain(longname + "com").ok());
}

TEST(Address, PlainAsciiFastPathAgreesWithIdna) {
  // normalize_domain skips libidn2 for plain LDH names; on any ASCII input the answer (value,
  // or refusal) must be the one IDNA gives.
  std::mt19937 rng(5890);
  const std::string alphabet = "aZ9-.x-n_";
  std::vector<std::string> inputs = {"xn--bcher-kva.example", "XN--BCHER-KVA.example",
                                     "ab--cd.example", "xn--.example", "a.b", "a-b.c-d",
                                     "1.2", "-a.b", "a.b-", std::string(63, 'a') + ".b",
                                     std::string(64, 'a') + ".b", "a.b."};
  for (int i = 0; i < 3000; ++i) {
    std::string s(1 + rng() % 12, 'a');
    for (auto& c : s) c = alphabet[rng() % alphabet.size()];
    inputs.push_back(s);
  }
  for (const auto& in : inputs) {
    auto fast = normalize_domain(in);
    auto idna = detail::normalize_domain_idna(in, "domain");
    ASSERT_EQ(fast.ok(), idna.ok()) << in << ": " << (fast.ok() ? *fast : fast.error().message)
                                    << " vs " << (idna.ok() ? *idna : idna.error().message);
    if (fast.ok()) EXPECT_EQ(*fast, *idna) << in;
  }
}

TEST(Address, AsciiAndUnicodeLocalParts) {
  auto a = parse_address("John.Doe+tag@Example.COM");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->str(), "john.doe+tag@example.com");
  auto u = parse_address("用户@例子.广告");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->local, "用户");
  EXPECT_EQ(u->domain.rfind("xn--", 0), 0u);
  auto g = parse_address("Jörg@bücher.example");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->str(), "jörg@xn--bcher-kva.example");  // ASCII folded, non-ASCII kept
}

TEST(Address, BadAddressesAreRejected) {
  for (auto bad :
       {"", "nobody", "@example.com", "a@", ".a@example.com", "a.@example.com", "a..b@example.com",
        "a b@example.com", "\"q\"@example.com", "a(c)@example.com", "a\r\n@example.com",
        "a,b@example.com", "\xc3\x28@example.com", "\xed\xa0\x80@example.com", "a@localhost"}) {
    auto r = parse_address(bad, "address");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, base::Errc::kInvalid);
    EXPECT_EQ(r.error().field, "address");
  }
  EXPECT_FALSE(parse_address(std::string(65, 'a') + "@example.com").ok());
  EXPECT_TRUE(parse_address(std::string(64, 'a') + "@example.com").ok());
  EXPECT_FALSE(parse_address(std::string(400, 'a') + "@example.com").ok());
}

TEST(Address, CheckText) {
  EXPECT_TRUE(check_text("Jörg Müller", 100, "name").ok());
  EXPECT_FALSE(check_text("evil\r\nBcc: x", 100, "name").ok());
  EXPECT_FALSE(check_text(std::string(101, 'x'), 100, "name").ok());
  EXPECT_FALSE(check_text("\xff", 100, "name").ok());
}

}  // namespace
}  // namespace posthouse::directory
