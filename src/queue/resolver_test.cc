#include "queue/resolver.h"

#include <ares.h>
#include <gtest/gtest.h>

#include <string>

namespace posthouse::queue {
namespace {

// A DNS answer to "example.org MX" with the given (preference, wire-format exchange) records.
std::string mx_answer(const std::vector<std::pair<int, std::string>>& records) {
  std::string out("\x12\x34\x81\x80\x00\x01", 6);
  out += static_cast<char>(0);
  out += static_cast<char>(records.size());
  out += std::string("\x00\x00\x00\x00", 4);
  out += std::string("\x07" "example" "\x03" "org" "\x00", 13) + std::string("\x00\x0f\x00\x01", 4);
  for (const auto& [pref, exchange] : records) {
    std::string rdata;
    rdata += static_cast<char>(pref >> 8);
    rdata += static_cast<char>(pref & 0xff);
    rdata += exchange;
    out += std::string("\xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10", 10);
    out += static_cast<char>(rdata.size() >> 8);
    out += static_cast<char>(rdata.size() & 0xff);
    out += rdata;
  }
  return out;
}

int parse(const std::string& answer, std::vector<MxHost>& hosts) {
  return parse_mx_answer(reinterpret_cast<const unsigned char*>(answer.data()),
                         static_cast<int>(answer.size()), hosts);
}

TEST(ParseMxAnswer, NormalisesNamesAndKeepsTheNullMx) {
  std::vector<MxHost> hosts;
  ASSERT_EQ(parse(mx_answer({{10, std::string("\x03MX1\x07" "Example\x03" "org\x00", 17)},
                             {0, std::string("\x00", 1)}}),
                  hosts),
            ARES_SUCCESS);
  ASSERT_EQ(hosts.size(), 2u);
  EXPECT_EQ(hosts[0].name, "mx1.example.org");
  EXPECT_EQ(hosts[0].preference, 10);
  EXPECT_EQ(hosts[1].name, "");  // null MX (RFC 7505)
}

// Found by tests/fuzz/dns_mx_fuzz.cc (corpus/dns_mx/regress_control_byte_name): an MX name
// with control or 8-bit bytes went on into "bad host name" errors, queue errors and bounces.
TEST(ParseMxAnswer, DropsNamesThatAreNotPrintableAscii) {
  std::string bad("\x04mx\x12\x81\x03org\x00", 10);
  std::string good("\x03mx2\x03org\x00", 9);
  std::vector<MxHost> hosts;
  ASSERT_EQ(parse(mx_answer({{5, bad}, {10, good}}), hosts), ARES_SUCCESS);
  ASSERT_EQ(hosts.size(), 1u);
  EXPECT_EQ(hosts[0].name, "mx2.org");
  // Nothing usable left: a broken answer (temporary), not "no MX" (which would mean the
  // domain's own address).
  EXPECT_EQ(parse(mx_answer({{5, bad}}), hosts), ARES_EBADRESP);
  EXPECT_TRUE(hosts.empty());
  EXPECT_EQ(parse(mx_answer({{5, std::string("\x03m x\x00", 5)}}), hosts), ARES_EBADRESP);
}

TEST(ParseMxAnswer, MalformedAnswersAreErrors) {
  std::vector<MxHost> hosts;
  EXPECT_NE(parse(std::string("\x12\x34", 2), hosts), ARES_SUCCESS);
  std::string truncated = mx_answer({{10, std::string("\x03mx1\x00", 5)}});
  truncated.resize(truncated.size() - 3);
  EXPECT_NE(parse(truncated, hosts), ARES_SUCCESS);
  EXPECT_TRUE(hosts.empty());
}

TEST(CanonicalIp, OneSpellingPerAddress) {
  EXPECT_EQ(canonical_ip("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(canonical_ip("::ffff:127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(canonical_ip("2001:DB8:0:0::1"), "2001:db8::1");
  EXPECT_EQ(canonical_ip("mail.example.org"), "");
  EXPECT_EQ(canonical_ip(""), "");
}

TEST(ConfirmedName, RefusesWhatIsNotAnAddress) {
  Resolver r(ResolverOptions{"127.0.0.1:9", 100, 1});
  EXPECT_EQ(r.confirmed_name("client.example.org").error().code, base::Errc::kInvalid);
}

}  // namespace
}  // namespace posthouse::queue
