// An IPv4 or IPv6 address as the sender checks see it (SPF, DNSBL): parsed from text, matched
// against a prefix, and written in the forms DNS queries and macros need. An IPv4-mapped IPv6
// address ("::ffff:192.0.2.1") is the IPv4 address it maps (RFC 7208 section 5: a client
// that connects over IPv6 with a mapped address is an IPv4 client). Pure, thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace posthouse::antispam {

struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4

  // Accepts dotted-quad IPv4 and RFC 4291 IPv6 text (no zone, no brackets, no prefix). An
  // IPv4-mapped IPv6 address becomes IPv4 unless `map_v4` is false (an ip6 network stays v6).
  static std::optional<IpAddress> parse(std::string_view text, bool map_v4 = true);

  int bits() const { return v6 ? 128 : 32; }
  // Same family and the first `prefix` bits equal (prefix clamped to the family's width).
  bool in_network(const IpAddress& network, int prefix) const;
  std::string to_string() const;  // "192.0.2.1", "2001:db8::1" (RFC 5952, lower case)
  // The dotted form of the SPF %{i} macro: "192.0.2.1" or the 32 nibbles "2.0.0.1.0.d.b.8…".
  std::string dotted() const;
  // "1.2.0.192.in-addr.arpa" or "<nibbles>.ip6.arpa".
  std::string reverse_name() const;
  bool operator==(const IpAddress&) const = default;
};

}  // namespace posthouse::antispam
