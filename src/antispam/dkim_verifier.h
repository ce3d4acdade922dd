// DKIM verification (RFC 6376 section 6, RFC 8463, RFC 8301): every DKIM-Signature of a
// message checked on its own, with a result in the terms of Authentication-Results
// (RFC 8601 section 2.7.1).
//
// Contract:
// - dkim_verify() is the entry point an SMTP session calls once the message is in: the
//   message bytes as received (CRLF or LF lines), a net::DnsLookup for the keys (TXT), the
//   time. Blocking as its lookup is (net::AresDnsLookup blocks): call it off the I/O threads.
//   Thread-safe otherwise; no state between calls.
// - The result list has one entry per DKIM-Signature field, in header order (top first). An
//   empty list means the message is not signed: "dkim=none".
// - Everything the sender controls is bounded (DkimVerifyLimits): signatures checked (the
//   rest are "neutral", with the reason), header fields read, signature and key sizes, RSA
//   key bits; one DNS query per checked signature.
// - l= is a risk, not an error: a passing signature whose l= leaves part of the body unsigned
//   says so (partial_body, signed_body_bytes < body_bytes): anything can follow the signed
//   part, so a consumer should not treat such a pass like a whole-body one.
// - Reasons are fixed texts plus printable ASCII from the message; safe for a header comment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "antispam/dkim_key.h"
#include "antispam/dkim_signature.h"
#include "net/dns.h"

namespace posthouse::antispam {

enum class DkimResult { kPass, kFail, kNeutral, kTempError, kPermError };
std::string_view dkim_result_name(DkimResult r);  // "pass", "fail", ... (RFC 8601)

struct DkimVerifyLimits {
  std::size_t max_signatures = 8;        // checked per message; more are "neutral"
  std::size_t max_header_fields = 1000;  // more: every signature is a permerror
  std::size_t max_txt_records = 8;       // looked at per key name
  int64_t clock_skew = 300;              // t= this far in the future, x= this far past: ok
  DkimSignatureLimits signature;
  DkimKeyLimits key;
};

struct DkimVerification {
  DkimResult result = DkimResult::kPermError;
  std::string reason;              // why, when not pass ("body hash mismatch"); empty on pass
  std::string domain;              // d= (header.d), "" when unreadable
  std::string selector;            // s= (header.s)
  std::string identity;            // i= (header.i)
  std::string algorithm;           // a= (header.a)
  std::string b_prefix;            // header.b (RFC 6008)
  bool testing = false;            // the key says t=y
  bool partial_body = false;       // l= left part of the body unsigned
  uint64_t signed_body_bytes = 0;  // canonical body bytes the signature covers
  uint64_t body_bytes = 0;         // canonical body bytes there are
};

std::vector<DkimVerification> dkim_verify(std::string_view message, const net::DnsLookup& dns,
                                          int64_t now, const DkimVerifyLimits& limits = {});

// "dkim=pass header.d=example.org header.s=sel header.a=ed25519-sha256 header.b=abcdefgh"
// plus a comment with the reason or the l= risk; for an Authentication-Results header.
std::string dkim_result_text(const DkimVerification& v);

// Sender text made fit for a comment in Authentication-Results: CR, LF and other controls
// dropped, parentheses and backslashes quoted. Shared by every result text here.
std::string auth_results_comment(std::string_view s);

}  // namespace posthouse::antispam
