#include "auth/cidr.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>

namespace posthouse::auth {
namespace {

// An address as 16 bytes (IPv4 mapped into ::ffff:0:0/96) and whether it was written as IPv4.
struct Addr {
  std::array<unsigned char, 16> b{};
  bool v4 = false;
};

std::optional<Addr> parse_ip(std::string_view s) {
  if (s.empty() || s.size() > 45) return std::nullopt;
  std::string z(s);
  Addr a;
  in_addr v4;
  if (inet_pton(AF_INET, z.c_str(), &v4) == 1) {
    a.b[10] = a.b[11] = 0xff;
    std::memcpy(&a.b[12], &v4, 4);
    a.v4 = true;
    return a;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, z.c_str(), &v6) == 1) {
    std::memcpy(a.b.data(), &v6, 16);
    return a;
  }
  return std::nullopt;
}

struct Block {
  Addr net;
  int bits = 128;  // over the 16-byte form
};

std::optional<Block> parse_block(std::string_view cidr) {
  auto slash = cidr.find('/');
  auto net = parse_ip(cidr.substr(0, slash));
  if (!net) return std::nullopt;
  int max = net->v4 ? 32 : 128;
  int prefix = max;
  if (slash != std::string_view::npos) {
    auto digits = cidr.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (ec != std::errc() || p != digits.data() + digits.size() || prefix < 0 || prefix > max)
      return std::nullopt;
  }
  return Block{*net, net->v4 ? prefix + 96 : prefix};
}

}  // namespace

bool valid_cidr(std::string_view cidr) { return parse_block(cidr).has_value(); }

bool ip_in_cidr(std::string_view ip, std::string_view cidr) {
  auto a = parse_ip(ip);
  auto blk = parse_block(cidr);
  if (!a || !blk) return false;
  int bits = blk->bits;
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((a->b[i] & mask) != (blk->net.b[i] & mask)) return false;
  }
  return true;
}

}  // namespace posthouse::auth
