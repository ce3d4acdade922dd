// DMARC (RFC 7489): the policy record, its discovery and the evaluation of one message from
// its RFC5322.From domain and the SPF and DKIM results.
//
// Contract:
// - parse_dmarc_record(): the tag-list of section 6.3 (the DKIM tag-list syntax): `v=DMARC1`
//   first; `p` required (none/quarantine/reject) except that a record with a valid `rua` and
//   a missing or unknown `p` counts as `p=none` (6.6.3); `sp` defaults to `p`; `adkim` and
//   `aspf` r/s (default r); `pct` 0-100 (default 100); `np` (RFC 9091) none/quarantine/reject
//   for non-existent subdomains, defaulting to `sp` (an np with another value is ignored, as an
//   unknown tag); unknown tags ignored; anything else malformed makes the record invalid.
//   rua/ruf kept as text (reports are not sent yet).
// - dmarc_check(): discovery of 6.6.3 (`_dmarc.<from-domain>`, then `_dmarc.<organizational
//   domain>`; a name with several DMARC records has none; a DNS failure is temperror);
//   alignment of 3.1 (relaxed: same organizational domain; strict: same name) for SPF (the
//   MAIL FROM identity's domain, when SPF passed) and each passing DKIM signature's d=.
//   Result: pass when one aligned identifier passed, fail otherwise; none without a record;
//   temperror/permerror as discovery says. The disposition is the policy that applies (sp for a
//   subdomain of the organizational domain whose record was used; np instead when that record
//   has one, the message fails and the subdomain does not exist: NXDOMAIN or no data for A,
//   AAAA and MX, RFC 9091 2.7; a DNS error there counts as existing), `none` on pass, and
//   the next lower policy (reject → quarantine → none) for a failing message outside the pct
//   sample (`sample` in [0, 100), 6.6.4). A record that is not valid is permerror; several
//   DMARC records at one name are none (6.6.3: no policy).
// - One TXT lookup for the From domain and at most one more for its organizational domain; for
//   a failing subdomain under a record with np, up to three more (A, AAAA, MX).
//   Blocking as the DnsLookup is: call it off the I/O threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "antispam/public_suffix.h"
#include "base/result.h"
#include "net/dns.h"

namespace posthouse::antispam {

enum class DmarcPolicy { kNone, kQuarantine, kReject };
std::string_view dmarc_policy_name(DmarcPolicy p);  // "none", "quarantine", "reject"

struct DmarcRecord {
  DmarcPolicy policy = DmarcPolicy::kNone;
  DmarcPolicy subdomain_policy = DmarcPolicy::kNone;
  std::optional<DmarcPolicy> nonexistent_policy;  // np= (RFC 9091), when given
  bool strict_dkim = false;  // adkim=s
  bool strict_spf = false;   // aspf=s
  int pct = 100;
  std::string rua, ruf;
};

base::Result<DmarcRecord> parse_dmarc_record(std::string_view text);

enum class DmarcResult { kNone, kPass, kFail, kTempError, kPermError };
std::string_view dmarc_result_name(DmarcResult r);  // RFC 8601: "none", "pass", ...

struct DmarcInput {
  std::string from_domain;            // RFC5322.From domain
  bool spf_pass = false;              // SPF result for the MAIL FROM identity was pass
  std::string spf_domain;             // that identity's domain
  std::vector<std::string> dkim_pass_domains;  // d= of each DKIM signature that passed
  double sample = 0;                  // uniform in [0, 100): the pct draw
};

struct DmarcVerdict {
  DmarcResult result = DmarcResult::kNone;
  DmarcPolicy disposition = DmarcPolicy::kNone;  // what the domain owner asks for this message
  DmarcPolicy policy = DmarcPolicy::kNone;       // the p= (or sp=) that applied, for the header
  std::string record_domain;                     // where the record was found
  bool spf_aligned = false, dkim_aligned = false;
  std::string problem;  // temperror/permerror: what went wrong
  DmarcRecord record;   // the record found (pass, fail), for aggregate reports
  // A fail whose disposition local policy set to none (RFC 7489 section 7.2, "trusted
  // forwarder"): "arc=<sealer>", set by authenticate_message(); "" otherwise.
  std::string override_reason;
};

DmarcVerdict dmarc_check(const net::DnsLookup& dns, const PublicSuffixList& psl,
                         const DmarcInput& in);

// "dmarc=fail (p=reject dis=reject) header.from=example.com" for Authentication-Results.
std::string dmarc_result_text(const DmarcVerdict& v, std::string_view from_domain);

}  // namespace posthouse::antispam
