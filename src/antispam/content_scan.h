// The MX's content scans: a message scanned by clamd, then checked by rspamd, with the
// daemons' answers summed up for the delivery decision (delivery/sender_policy.h) and for the
// header fields added below Authentication-Results.
//
// Contract:
// - ContentScanners holds the configured clients ([antispam] clamd, rspamd; either may be
//   absent) and what to do with their answers. Immutable after construction; thread-safe.
// - scan() is blocking (one call to each daemon, each bounded by its timeouts): run it on the
//   sender checks' pool, never on an I/O thread. It sends clamd the message, then rspamd the
//   message and its envelope; rspamd is asked even after a virus (its verdict is logged).
// - A daemon that fails (down, slow, a malformed reply) is counted in `failures`; with
//   fail_open the message goes on without that daemon's verdict, else `daemon_error` is set.
// - spam_status_fields() is pure: "X-Spam-Status: Yes|No, score=S required=R" and
//   "X-Spam-Action: ACTION", CRLF-terminated, or "" when rspamd did not answer.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "antispam/clamd_client.h"
#include "antispam/rspamd_client.h"

namespace posthouse::antispam {

struct ContentScanners {
  std::optional<ClamdClient> clamd;
  std::optional<RspamdClient> rspamd;
  bool fail_open = true;
  bool virus_junk = false;  // [antispam] virus_action = "junk"
};

struct ContentScan {
  std::string virus;                   // clamd found this signature
  std::optional<RspamdResult> rspamd;  // rspamd answered
  int failures = 0;                    // daemons that did not answer usefully
  bool daemon_error = false;           // a failure with fail_open off
  std::string errors;                  // what failed, for the log
};

ContentScan scan_content(const ContentScanners& s, std::string_view message,
                         const RspamdEnvelope& envelope);

std::string spam_status_fields(const RspamdResult& r);
// "NAME(score) NAME(score) ...": the 20 symbols with the largest scores (either sign).
std::string symbols_summary(const RspamdResult& r);

}  // namespace posthouse::antispam
