// Delivery status notifications, RFC 3464: a multipart/report message to the envelope sender
// naming each recipient with its status and diagnostic. Three kinds: a bounce (Action: failed,
// final), a delay warning (Action: delayed, 4.x.x, the message is still being retried) and a
// success report for NOTIFY=SUCCESS (RFC 3461 6.2: Action: delivered into a local mailbox,
// relayed to a next hop that offers no DSN, or expanded by an alias to several destinations;
// Status 2.0.0; only the original's header is returned, whatever RET said).
//
// Contract: pure. Never call it for a null-sender message (no report about a report: the
// caller drops those, which is what stops backscatter loops). Texts are stripped of CR/LF.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace posthouse::queue {

struct ReportRecipient {
  std::string address;
  std::string status;      // enhanced status "5.2.2"
  std::string diagnostic;  // "smtp; 552 5.2.2 Mailbox full"; "" = no Diagnostic-Code
  // ORCPT "type;address"; a bare address (queue entries older than the type) is rfc822.
  std::string orcpt;
  std::string action;  // success reports: "delivered", "relayed" or "expanded"
};

struct BounceInput {
  std::string reporting_mta;    // our hostname
  std::string original_sender;  // the envelope sender being notified
  std::string envid;
  std::string original_message;  // full message or headers only (RET=HDRS)
  bool headers_only = false;
  std::vector<ReportRecipient> failed;  // every recipient the report is about
  int64_t arrival_date = 0;
  std::string from_name = "Mail Delivery System";  // white-label display name
  bool delayed = false;          // a delay warning rather than a bounce
  int64_t will_retry_until = 0;  // delay warning: when the message expires
  bool success = false;          // a success report (each recipient names its action)
};

std::string build_bounce(const BounceInput& in, int64_t now);

}  // namespace posthouse::queue
