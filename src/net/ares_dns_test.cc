#include "net/ares_dns.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/test_dns_message.h"

namespace posthouse::net {
namespace {

using testing::response;
using testing::u16;
using testing::wire_name;

DnsAnswer parse(const std::string& msg, DnsType type) {
  return parse_dns_answer(reinterpret_cast<const unsigned char*>(msg.data()),
                          static_cast<int>(msg.size()), type);
}

std::string txt(std::vector<std::string> strings) {
  std::string out;
  for (const auto& s : strings) out += static_cast<char>(s.size()) + s;
  return out;
}

TEST(ParseDnsAnswer, TxtRecordsJoinTheirStrings) {
  DnsAnswer a = parse(response("example.com", 16,
                               {txt({"v=spf1 ip4:", "192.0.2.5 -all"}), txt({"other"})}),
                      DnsType::kTxt);
  ASSERT_EQ(a.status, DnsStatus::kOk);
  EXPECT_EQ(a.records, (std::vector<std::string>{"v=spf1 ip4:192.0.2.5 -all", "other"}));
  EXPECT_EQ(a.ttl, 3600u);
}

TEST(ParseDnsAnswer, TtlIsTheAnswersSmallestOrTheSoasNegativeOne) {
  using testing::message;
  using testing::record;
  DnsAnswer a = parse(message("example.com", 16,
                              {record(16, 300, txt({"a"})), record(16, 120, txt({"b"}))}),
                      DnsType::kTxt);
  ASSERT_EQ(a.status, DnsStatus::kOk);
  EXPECT_EQ(a.ttl, 120u);
  // NOERROR with only a CNAME: no TXT, the SOA's negative TTL.
  a = parse(message("example.com", 16, {record(5, 600, wire_name("other.example"))},
                    {record(6, 900, testing::soa_rdata(240))}),
            DnsType::kTxt);
  ASSERT_EQ(a.status, DnsStatus::kNoData);
  EXPECT_EQ(a.ttl, 240u);
  a = parse(message("example.com", 16, {}), DnsType::kTxt);
  ASSERT_EQ(a.status, DnsStatus::kNoData);
  EXPECT_EQ(a.ttl, 0u);
}

TEST(ParseDnsAnswer, TxtRecordSizeAndCountAreBounded) {
  std::vector<std::string> big(40, std::string(250, 'x'));  // 10,000 bytes: over kMaxTxtBytes
  DnsAnswer a = parse(response("example.com", 16, {txt(big), txt({"small"})}), DnsType::kTxt);
  ASSERT_EQ(a.status, DnsStatus::kOk);
  EXPECT_EQ(a.records, (std::vector<std::string>{"small"}));
  EXPECT_EQ(parse(response("example.com", 16, {txt(big)}), DnsType::kTxt).status,
            DnsStatus::kTemporary);
  std::vector<std::string> many(kMaxDnsRecords + 5, txt({"r"}));
  a = parse(response("example.com", 16, many), DnsType::kTxt);
  ASSERT_EQ(a.status, DnsStatus::kOk);
  EXPECT_EQ(a.records.size(), kMaxDnsRecords);
}

TEST(ParseDnsAnswer, AddressesMxAndPtr) {
  DnsAnswer a = parse(response("h.example.com", 1, {std::string("\xc0\x00\x02\x01", 4), std::string("\xc0\x00\x02\x02", 4)}),
                      DnsType::kA);
  EXPECT_EQ(a.records, (std::vector<std::string>{"192.0.2.1", "192.0.2.2"}));
  std::string v6("\x20\x01\x0d\xb8", 4);
  v6 += std::string(11, '\0') + "\x01";
  a = parse(response("h.example.com", 28, {v6}), DnsType::kAaaa);
  EXPECT_EQ(a.records, (std::vector<std::string>{"2001:db8::1"}));
  a = parse(response("example.com", 15,
                     {u16(20) + wire_name("MX2.Example.com"), u16(10) + wire_name("mx1.example.com")}),
            DnsType::kMx);
  EXPECT_EQ(a.records, (std::vector<std::string>{"mx1.example.com", "mx2.example.com"}));
  a = parse(response("1.2.0.192.in-addr.arpa", 12,
                     {wire_name("a.example.com"), wire_name("b.example.com")}),
            DnsType::kPtr);
  ASSERT_EQ(a.status, DnsStatus::kOk);
  EXPECT_EQ(a.records.size(), 2u);
}

TEST(ParseDnsAnswer, NoRecordsIsNoDataAndGarbageIsTemporary) {
  EXPECT_EQ(parse(response("example.com", 16, {}), DnsType::kTxt).status, DnsStatus::kNoData);
  EXPECT_EQ(parse(response("example.com", 1, {}), DnsType::kA).status, DnsStatus::kNoData);
  std::string cut = response("example.com", 16, {txt({"v=spf1 -all"})});
  cut.resize(cut.size() - 4);
  EXPECT_EQ(parse(cut, DnsType::kTxt).status, DnsStatus::kTemporary);
  EXPECT_EQ(parse(std::string("\x12\x34", 2), DnsType::kMx).status, DnsStatus::kTemporary);
}

TEST(AresDnsLookup, NamesDnsCannotCarryDoNotExist) {
  AresDnsLookup dns(DnsOptions{"127.0.0.1:9", 100, 1});
  EXPECT_EQ(dns.lookup(std::string(254, 'a'), DnsType::kA).status, DnsStatus::kNxDomain);
  EXPECT_EQ(dns.lookup(std::string("a\0b.example", 11), DnsType::kTxt).status,
            DnsStatus::kNxDomain);
}

}  // namespace
}  // namespace posthouse::net
