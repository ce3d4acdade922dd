// Mail routing by DNS (RFC 5321 section 5): MX records with c-ares, the implicit MX (the
// domain's own A/AAAA) when there is none, and the null MX of RFC 7505. (The antispam checks
// ask DNS through net::DnsLookup, net/ares_dns.h, on the same c-ares channel code.)
//
// Contract:
// - Blocking: each call drives its own c-ares channel with poll() until the answers are in or
//   the timeout passes. Call it on a thread of its own pool, never on an I/O thread.
// - Errors: Errc::kNotFound is permanent (NXDOMAIN, no MX and no address, null MX with
//   field "null_mx"); Errc::kTemporary for timeouts, SERVFAIL and unreachable resolvers.
// - Bounded: at most kMaxHosts MX hosts and kMaxAddresses addresses per host.
// - Thread-safe (no shared state besides the c-ares library initialisation).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace posthouse::queue {

struct MxHost {
  int preference = 0;
  std::string name;                    // lower case, no trailing dot
  std::vector<std::string> addresses;  // numeric IPv4/IPv6
};

struct Route {
  bool implicit = false;  // no MX: the domain itself (RFC 5321 5.1)
  std::vector<MxHost> hosts;  // by preference
};

struct ResolverOptions {
  std::string server;  // "ip:port" or "" for the system's resolv.conf
  int timeout_ms = 5000;
  int tries = 2;
};

// The MX records of a raw DNS answer (c-ares' parser; the peer's bytes): at most
// kMaxMxRecords hosts, names normalised (lower case, no trailing dot; "" is the null MX).
// Records whose name is not printable ASCII are dropped; when that leaves none, the answer is
// ARES_EBADRESP (a temporary failure, never "no MX"). Returns ARES_SUCCESS or the c-ares
// error. Pure; fuzzed by tests/fuzz/dns_mx_fuzz.cc.
inline constexpr std::size_t kMaxMxRecords = 50;
int parse_mx_answer(const unsigned char* answer, int len, std::vector<MxHost>& hosts);

// A numeric address in the form inet_ntop writes it ("::ffff:192.0.2.1" becomes "192.0.2.1"),
// so two spellings of one address compare equal; "" when `ip` is not an address. Pure.
std::string canonical_ip(std::string_view ip);

class Resolver {
 public:
  static constexpr std::size_t kMaxHosts = 10;
  static constexpr std::size_t kMaxAddresses = 10;
  static constexpr std::size_t kMaxPtrNames = 5;

  explicit Resolver(ResolverOptions o) : opts_(std::move(o)) {}
  base::Result<Route> route(std::string_view domain) const;
  base::Result<std::vector<std::string>> addresses(std::string_view host) const;

  // Forward-confirmed reverse DNS of a numeric address (FCrDNS): the first of its PTR names
  // (at most kMaxPtrNames, each letters, digits, '-', '_' and '.' only, lower case) whose
  // A/AAAA records contain the address. kNotFound when no name confirms it (or there is no
  // PTR); kTemporary for timeouts and failures; kInvalid when `ip` is not an address.
  base::Result<std::string> confirmed_name(std::string_view ip) const;

 private:
  ResolverOptions opts_;
};

}  // namespace posthouse::queue
