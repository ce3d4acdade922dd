// The sender checks of one inbound message, together: SPF for the HELO and MAIL FROM
// identities, every DKIM signature, DMARC for the RFC5322.From domain from those results; and
// the Authentication-Results field (RFC 8601) that records them.
//
// Contract:
// - authenticate_message() runs the checks in that order against one DnsLookup (at most: the
//   SPF limits twice, one key query per checked signature, two DMARC TXT queries). Blocking as
//   the lookup is: with net::AresDnsLookup, call it on a pool thread, never an I/O thread.
// - The From domain is DMARC's only when the header has exactly one From field holding exactly
//   one address with a domain; otherwise DMARC is permerror ("no single From domain") and
//   nothing is looked up for it (RFC 7489 6.6.1).
// - The SPF identity DMARC aligns is MAIL FROM's domain, or the HELO name for the null sender
//   (RFC 7489 3.1.2).
// - authenticate_message() validates the ARC chain too (arc_verifier.h), with the same lookup.
// - authentication_results_field(): "Authentication-Results: <authserv-id>;" then one resinfo
//   per folded line (spf for MAIL FROM, spf for HELO when its result is not none, each DKIM
//   signature or dkim=none, arc when the message has an ARC chain, dmarc), ending in CRLF.
//   authentication_results() is the same resinfo list on one line, joined by "; " (what an
//   ARC-Authentication-Results field of ours carries). Only text the checks validated or made
//   safe reaches it: addresses whose local part is not a dot-atom are written as their domain.
// - Thread-safe; no state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "antispam/arc_verifier.h"
#include "antispam/dkim_verifier.h"
#include "antispam/dmarc.h"
#include "antispam/public_suffix.h"
#include "antispam/spf_check.h"
#include "net/dns.h"

namespace posthouse::antispam {

struct MessageAuthInput {
  std::string client_ip;   // numeric
  std::string helo;        // the HELO/EHLO argument
  std::string mail_from;   // the reverse-path without <>; "" for the null sender
  std::string receiver;    // this server's host name (SPF %{r})
  int64_t now = 0;         // seconds since the epoch
  double dmarc_sample = 0; // uniform in [0, 100): the DMARC pct draw
  // ARC sealers trusted for DMARC (RFC 8617 section 7.2.1; lower case): a DMARC fail whose
  // chain passes, last sealed by one of these, whose latest ARC-Authentication-Results says
  // dmarc=pass, gets disposition none (DmarcVerdict::override_reason). Null: none.
  const std::vector<std::string>* arc_trusted_sealers = nullptr;
};

struct MessageAuth {
  SpfVerdict spf_helo;
  SpfVerdict spf_mail_from;
  std::vector<DkimVerification> dkim;  // empty: not signed
  ArcVerification arc;                 // the ARC chain; result kNone: no ARC field
  std::string from_domain;             // "" when there is no single From domain
  DmarcVerdict dmarc;
};

// The RFC5322.From domain (normalized), or "" when the header has no single From address.
std::string single_from_domain(std::string_view message);

MessageAuth authenticate_message(const net::DnsLookup& dns, const PublicSuffixList& psl,
                                 const MessageAuthInput& in, std::string_view message);

// The sender domain the checks proved: the SPF-checked MAIL FROM domain when it passed, else
// the d= of the first DKIM signature that passed; "" when neither.
std::string verified_domain(const MessageAuth& a);

std::string authentication_results_field(std::string_view authserv_id,
                                         const MessageAuthInput& in, const MessageAuth& a);
std::string authentication_results(const MessageAuthInput& in, const MessageAuth& a);

}  // namespace posthouse::antispam
