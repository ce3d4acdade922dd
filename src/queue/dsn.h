// Delivery status notifications, RFC 3464: a multipart/report message to the envelope sender
// naming each recipient with its status and diagnostic. Two kinds: a bounce (Action: failed,
// final) and a delay warning (Action: delayed, 4.x.x, the message is still being retried).
//
// Contract: pure. Never call it for a null-sender message (no report about a report: the
// caller drops those, which is what stops backscatter loops). Texts are stripped of CR/LF.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace posthouse::queue {

struct FailedRecipient {
  std::string address;
  std::string status;      // enhanced status "5.2.2"
  std::string diagnostic;  // "smtp; 552 5.2.2 Mailbox full"
  std::string orcpt;
};

struct BounceInput {
  std::string reporting_mta;    // our hostname
  std::string original_sender;  // the envelope sender being notified
  std::string envid;
  std::string original_message;  // full message or headers only (RET=HDRS)
  bool headers_only = false;
  std::vector<FailedRecipient> failed;
  int64_t arrival_date = 0;
  std::string from_name = "Mail Delivery System";  // white-label display name
  bool delayed = false;          // a delay warning rather than a bounce
  int64_t will_retry_until = 0;  // delay warning: when the message expires
};

std::string build_bounce(const BounceInput& in, int64_t now);

}  // namespace posthouse::queue
