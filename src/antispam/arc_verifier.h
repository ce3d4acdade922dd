// ARC chain validation (RFC 8617 section 5.2): the Chain Validation Status of a message
// ("none", "pass", "fail"), the oldest-pass instance, a reason, and the Authentication-Results
// text for the "arc" method.
//
// Contract:
// - arc_verify() is the entry point an SMTP session calls once the message is in (the message
//   as received, CRLF or LF lines; a net::DnsLookup for the keys; the time). Blocking as its
//   lookup is: call it off the I/O threads. Thread-safe; no state between calls. The MX calls
//   it through authenticate_message() (message_auth.h).
// - Steps: a header of more than DkimVerifyLimits::max_header_fields fields is "fail" (a chain
//   could hide past them); no ARC field is "none"; a broken structure (arc_set.h: parse errors,
//   duplicates, gaps, missing members, more than 50 sets, wrong cv=) or a latest seal with cv=fail
//   is "fail"; then the latest AMS must verify (like a DKIM signature: body hash, header hash, key;
//   x= honoured with DkimVerifyLimits::clock_skew), then every ARC-Seal from the latest down
//   (relaxed, over the sets 1..i, RFC 8617 5.1.1). Else "pass".
// - oldest_pass (on pass): 0 when every older AMS verifies too, else the instance above the
//   newest older AMS that does not (RFC 8617 5.2 step 5): the sets from there on vouch for an
//   unchanged message.
// - A DNS failure on the way makes "fail" with `temporary` set: the caller may retry, and
//   arc_seal() refuses to seal it (it would seal cv=fail for good).
// - Bounded: the limits of arc_set.h, DkimVerifyLimits for the message and keys, at most
//   ArcVerifyLimits::max_key_lookups distinct key names per message (answers are reused).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "antispam/arc_set.h"
#include "antispam/dkim_verifier.h"
#include "net/dns.h"

namespace posthouse::antispam {

enum class ArcResult { kNone, kPass, kFail };
std::string_view arc_result_name(ArcResult r);  // "none", "pass", "fail" (also the cv= value)

struct ArcVerifyLimits {
  std::size_t max_key_lookups = 16;
  ArcLimits arc;
  DkimVerifyLimits dkim;
};

struct ArcVerification {
  ArcResult result = ArcResult::kNone;
  uint32_t sets = 0;         // the highest instance on the message (the next seal is sets+1)
  uint32_t oldest_pass = 0;  // see above; only on pass
  bool temporary = false;    // a fail caused by a DNS failure
  bool terminated = false;   // the latest seal already said cv=fail (a sealer stops here)
  std::string reason;        // why, when not pass; printable ASCII from the message at most
  std::string domain;        // d= of the latest ARC-Seal, when readable
  std::string latest_results;  // on pass: the latest ARC-Authentication-Results' payload
};

ArcVerification arc_verify(std::string_view message, const net::DnsLookup& dns, int64_t now,
                           const ArcVerifyLimits& limits = {});

// "arc=pass (i=2 d=lists.example.org) header.oldest-pass=0 smtp.remote-ip=192.0.2.1", or
// "arc=fail (reason)", "arc=none"; for Authentication-Results (RFC 8617 section 10.2 registers
// header.oldest-pass and smtp.remote-ip for the method). `remote_ip` is left out when empty.
std::string arc_result_text(const ArcVerification& v, std::string_view remote_ip = {});

}  // namespace posthouse::antispam
