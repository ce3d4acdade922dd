#include "antispam/ip_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <vector>

namespace posthouse::antispam {

std::optional<IpAddress> IpAddress::parse(std::string_view text, bool map_v4) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  IpAddress ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) return ip;
  if (s.find(':') == std::string::npos || inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) != 1) {
    return std::nullopt;
  }
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (map_v4 && std::equal(kMapped, kMapped + 12, ip.bytes.begin())) {
    std::copy(ip.bytes.begin() + 12, ip.bytes.end(), ip.bytes.begin());
    std::fill(ip.bytes.begin() + 4, ip.bytes.end(), 0);
    return ip;
  }
  ip.v6 = true;
  return ip;
}

bool IpAddress::in_network(const IpAddress& network, int prefix) const {
  if (v6 != network.v6) return false;
  prefix = std::clamp(prefix, 0, bits());
  int whole = prefix / 8;
  if (!std::equal(bytes.begin(), bytes.begin() + whole, network.bytes.begin())) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (bytes[whole] & mask) == (network.bytes[whole] & mask);
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

namespace {

// The labels of dotted(), most significant first.
std::vector<std::string> labels(const IpAddress& ip) {
  std::vector<std::string> out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < (ip.v6 ? 16 : 4); ++i) {
    if (ip.v6) {
      out.emplace_back(1, kHex[ip.bytes[i] >> 4]);
      out.emplace_back(1, kHex[ip.bytes[i] & 0xf]);
    } else {
      out.push_back(std::to_string(ip.bytes[i]));
    }
  }
  return out;
}

}  // namespace

std::string IpAddress::dotted() const {
  std::string out;
  for (const auto& l : labels(*this)) {
    if (!out.empty()) out += '.';
    out += l;
  }
  return out;
}

std::string IpAddress::reverse_name() const {
  auto ls = labels(*this);
  std::string out;
  for (auto it = ls.rbegin(); it != ls.rend(); ++it) {
    out += *it;
    out += '.';
  }
  return out + (v6 ? "ip6.arpa" : "in-addr.arpa");
}

}  // namespace posthouse::antispam
