// SPF evaluation (RFC 7208): check_host() over a DnsLookup, and the two identities a session
// checks, HELO (section 2.3) and MAIL FROM (section 2.4, postmaster@<helo> for the null
// sender). The entry points an SMTP session calls are check_helo() and check_mail_from().
//
// Contract:
// - Blocking as the DnsLookup is: with AresDnsLookup call it on the blocking pool.
// - Bounded by SpfLimits (section 4.6.4): at most 10 mechanisms and modifiers that query DNS
//   (include, a, mx, ptr, exists, redirect) across the whole evaluation, at most 2 of their
//   lookups void (NXDOMAIN or no data), at most 10 MX names per mx (more is a permerror), the
//   first 10 PTR names per ptr or %{p}; each exceeded limit is a permerror. include and
//   redirect each spend one lookup, so recursion depth is bounded by the same limit.
// - `explanation` is set only for kFail when the deciding record has exp= and its TXT record
//   expands cleanly (section 6.2); otherwise the caller uses its default text.
// - `problem` says why for none, temperror and permerror (for logs and Received-SPF comments).
// - Thread-safe: no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "net/dns.h"

namespace posthouse::antispam {

enum class SpfResult { kNone, kNeutral, kPass, kFail, kSoftfail, kTemperror, kPermerror };
std::string_view spf_result_name(SpfResult r);  // "none", "neutral", "pass", ...

struct SpfLimits {
  int dns_mechanisms = 10;
  int void_lookups = 2;
  int mx_names = 10;
  int ptr_names = 10;
};

struct SpfRequest {
  std::string ip;         // the SMTP client's address, numeric
  std::string mail_from;  // the reverse-path without <>; "" for the null sender
  std::string helo;       // the HELO/EHLO argument
  std::string receiver = "unknown";  // %{r}: this server's host name
  std::int64_t timestamp = 0;        // %{t}: seconds since the epoch
  SpfLimits limits;
};

struct SpfVerdict {
  SpfResult result = SpfResult::kNone;
  std::string domain;       // the domain whose policy was checked
  std::string explanation;  // see the contract
  std::string problem;      // see the contract
  int dns_lookups = 0;      // lookups charged against SpfLimits::dns_mechanisms
};

// check_host(<ip>, <domain>, <sender>) of section 4; `sender` is local-part@domain.
SpfVerdict check_host(const net::DnsLookup& dns, const SpfRequest& req, std::string_view domain,
                      std::string_view sender);
// The HELO identity: postmaster@<helo>; none for an address literal or a name that is no FQDN.
SpfVerdict check_helo(const net::DnsLookup& dns, const SpfRequest& req);
// The MAIL FROM identity; the null sender is checked as postmaster@<helo>.
SpfVerdict check_mail_from(const net::DnsLookup& dns, const SpfRequest& req);

}  // namespace posthouse::antispam
