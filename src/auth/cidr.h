// IP allow-lists for API tokens: CIDR blocks ("10.0.0.0/8", "2001:db8::/32") or single
// addresses, IPv4 and IPv6 (an IPv4-mapped IPv6 peer "::ffff:a.b.c.d" matches IPv4 blocks).
// Pure functions, thread-safe.
#pragma once

#include <string_view>

namespace posthouse::auth {

// Is `cidr` a well-formed address or address/prefix?
bool valid_cidr(std::string_view cidr);
// Does `ip` (a literal address) fall inside `cidr`? False for anything malformed.
bool ip_in_cidr(std::string_view ip, std::string_view cidr);

}  // namespace posthouse::auth
