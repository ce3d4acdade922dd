#include "net/dns_ttl.h"

#include <gtest/gtest.h>

#include <string>

#include "net/test_dns_message.h"

namespace posthouse::net {
namespace {

using testing::message;
using testing::record;
using testing::soa_rdata;
using testing::u16;
using testing::u32;
using testing::wire_name;

constexpr int kA = 1;
constexpr int kCname = 5;
constexpr int kSoa = 6;
constexpr int kTxt = 16;
constexpr int kNxDomain = 3;

std::optional<DnsTtls> ttls(const std::string& msg) {
  return parse_dns_ttls(reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
}

uint32_t answer_ttl(const std::string& msg, DnsStatus status) {
  return dns_answer_ttl(reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), status);
}

std::string address(int last) { return std::string("\xc0\x00\x02", 3) + static_cast<char>(last); }

TEST(DnsTtls, TheSmallestTtlOfTheAnswerSection) {
  auto t = ttls(message("mail.example.com", kA,
                        {record(kCname, 900, wire_name("host.example.com")),
                         record(kA, 300, address(1)), record(kA, 120, address(2))}));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->answer, 120u);
  EXPECT_FALSE(t->negative);
}

TEST(DnsTtls, NegativeIsTheSmallerOfTheSoaTtlAndMinimum) {
  auto nx = [](uint32_t ttl, uint32_t minimum) {
    return message("nope.example.com", kTxt, {}, {record(kSoa, ttl, soa_rdata(minimum))},
                   kNxDomain);
  };
  auto t = ttls(nx(900, 600));
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->answer);
  EXPECT_EQ(t->negative, 600u);
  EXPECT_EQ(ttls(nx(60, 600))->negative, 60u);
  EXPECT_EQ(answer_ttl(nx(60, 600), DnsStatus::kNxDomain), 60u);
  EXPECT_EQ(answer_ttl(nx(60, 600), DnsStatus::kNoData), 60u);
  EXPECT_EQ(answer_ttl(nx(60, 600), DnsStatus::kOk), 0u);  // no answer records: unknown
  EXPECT_EQ(answer_ttl(nx(60, 600), DnsStatus::kTemporary), 0u);
  // Uncompressed names in the SOA, and a NS record before it.
  std::string rdata = wire_name("ns1.example.com") + wire_name("hostmaster.example.com") + u32(1) +
                      u32(2) + u32(3) + u32(4) + u32(45);
  t = ttls(message("example.com", kTxt, {},
                   {record(2, 30, wire_name("ns1.example.com")), record(kSoa, 3600, rdata)}));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->negative, 45u);
}

TEST(DnsTtls, WithoutSoaThereIsNoNegativeTtl) {
  auto t = ttls(message("nope.example.com", kTxt, {}, {}, kNxDomain));
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->answer);
  EXPECT_FALSE(t->negative);
  EXPECT_EQ(answer_ttl(message("nope.example.com", kTxt, {}, {}, kNxDomain), DnsStatus::kNxDomain),
            0u);
}

TEST(DnsTtls, ATtlWithTheTopBitSetIsZero) {
  EXPECT_EQ(ttls(message("example.com", kA, {record(kA, 0x80000000u, address(1))}))->answer, 0u);
  EXPECT_EQ(ttls(message("example.com", kA, {record(kA, 0x7fffffffu, address(1))}))->answer,
            0x7fffffffu);
}

TEST(DnsTtls, TrailingBytesAndTheAdditionalSectionAreNotRead) {
  std::string msg = message("example.com", kA, {record(kA, 77, address(1))});
  EXPECT_EQ(ttls(msg + std::string("\xff\xff\xff", 3))->answer, 77u);
  msg[11] = 5;  // ARCOUNT 5, none there
  EXPECT_EQ(ttls(msg)->answer, 77u);
}

TEST(DnsTtls, EveryTruncationIsMalformed) {
  std::string msg = message("nope.example.com", kTxt, {record(kCname, 5, wire_name("x.test"))},
                            {record(kSoa, 900, soa_rdata(600))});
  ASSERT_TRUE(ttls(msg));
  for (std::size_t n = 0; n < msg.size(); ++n) {
    EXPECT_FALSE(ttls(msg.substr(0, n))) << "cut at " << n;
  }
  EXPECT_FALSE(parse_dns_ttls(nullptr, 0));
}

TEST(DnsTtls, CompressionLoopsAndForwardPointersAreMalformed) {
  // The question's name is a pointer to itself (offset 12).
  std::string self = u16(0x1234) + u16(0x8180) + u16(1) + u16(0) + u16(0) + u16(0) + u16(0xc00c) +
                     u16(kA) + u16(1);
  EXPECT_FALSE(ttls(self));
  // Two pointers to each other: the first points forward.
  std::string pair = u16(0x1234) + u16(0x8180) + u16(2) + u16(0) + u16(0) + u16(0) + u16(0xc012) +
                     u16(kA) + u16(1) + u16(0xc00c) + u16(kA) + u16(1);
  EXPECT_FALSE(ttls(pair));
  // A SOA whose MNAME points at itself.
  std::string msg = message("example.com", kTxt, {}, {});
  std::size_t soa_at = msg.size() + 12;  // after the SOA record's name, type, class, TTL, length
  std::string rdata =
      u16(0xc000 | static_cast<int>(soa_at)) + u16(testing::kQuestionName) + std::string(20, '\0');
  EXPECT_FALSE(ttls(message("example.com", kTxt, {}, {record(kSoa, 60, rdata)})));
  // The same SOA pointing back at the question parses.
  rdata = u16(testing::kQuestionName) + u16(testing::kQuestionName) + std::string(20, '\0');
  EXPECT_EQ(ttls(message("example.com", kTxt, {}, {record(kSoa, 60, rdata)}))->negative, 0u);
}

TEST(DnsTtls, BadLabelsAndRdataAreMalformed) {
  std::string msg = message("example.com", kA, {record(kA, 60, address(1))});
  std::string reserved = msg;
  reserved[12] = 0x47;  // label type 01
  EXPECT_FALSE(ttls(reserved));
  std::string long_name;
  for (int i = 0; i < 5; ++i) long_name += std::string(60, 'a') + ".";
  EXPECT_FALSE(ttls(message(long_name + "example", kA, {})));  // 314 bytes in wire form
  // A SOA with a number missing, and one with a byte too many.
  std::string soa = soa_rdata(60);
  EXPECT_FALSE(ttls(message("example.com", kTxt, {}, {record(kSoa, 60, soa.substr(0, 20))})));
  EXPECT_FALSE(ttls(message("example.com", kTxt, {}, {record(kSoa, 60, soa + "x")})));
  // RDATA longer than the message.
  std::string cut = message("example.com", kA, {record(kA, 60, address(1))});
  cut.resize(cut.size() - 1);
  EXPECT_FALSE(ttls(cut));
}

}  // namespace
}  // namespace posthouse::net
