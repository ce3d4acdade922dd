#include "net/ares_dns.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace posthouse::net {
namespace {

std::string wire_name(std::string_view name) {
  std::string out;
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    out += static_cast<char>(dot - start);
    out += name.substr(start, dot - start);
    start = dot + 1;
  }
  out += '\0';
  return out;
}

std::string u16(int v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }

// A response to "<qname> <type>" holding `rdatas` as answers of that type.
std::string response(std::string_view qname, int type, const std::vector<std::string>& rdatas) {
  std::string out = u16(0x1234) + u16(0x8180) + u16(1) + u16(static_cast<int>(rdatas.size())) +
                    u16(0) + u16(0);
  out += wire_name(qname) + u16(type) + u16(1);
  for (const auto& rd : rdatas) {
    out += u16(0xc00c) + u16(type) + u16(1) + u16(0) + u16(3600) +
           u16(static_cast<int>(rd.size())) + rd;
  }
  return out;
}

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
