// The autoresponder (vacation reply), RFC 3834.
//
// Contract:
// - should_reply() is pure: it answers only ordinary person-to-person mail: never the null
//   sender, never Auto-Submitted (other than "no"), Precedence bulk/list/junk, mailing lists
//   (List-* headers), X-Auto-Response-Suppress, or system senders (MAILER-DAEMON, owner-*,
//   *-request, LISTSERV, majordomo); only when one of the mailbox's own addresses is in To/Cc;
//   only inside the configured dates.
// - AutoreplyLog::claim() records the reply atomically and says whether one is due: at most one
//   reply per (mailbox, sender) per period, even under concurrent deliveries.
// - build_reply() makes the reply message: null envelope sender (the caller sends it from
//   "<>"), Auto-Submitted: auto-replied, In-Reply-To/References, UTF-8 text; header values are
//   stripped of CR/LF so nothing can inject headers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "mime/header.h"
#include "mime/message.h"
#include "store/autoreply_store.h"

namespace posthouse::delivery {

// Shared with the quarantine notices: the header fields of a header block (at most 1,000;
// views into `h`).
std::vector<mime::HeaderField> split_headers(std::string_view h);

struct AutoreplySettings {
  bool enabled = false;
  std::string subject;  // empty: "Auto: <original subject>"
  std::string body;
  std::optional<int64_t> start;  // unix seconds; none = now
  std::optional<int64_t> end;
  int64_t period_seconds = 7 * 86400;
};

struct IncomingMail {
  std::string envelope_sender;  // "" = null sender
  std::string raw_headers;      // the message's header block
};

bool should_reply(const AutoreplySettings& s, const IncomingMail& in,
                  const std::vector<std::string>& own_addresses, int64_t now);

std::string build_reply(const AutoreplySettings& s, std::string_view from_address,
                        std::string_view from_name, const IncomingMail& in,
                        std::string_view hostname, int64_t now);

class AutoreplyLog {
 public:
  explicit AutoreplyLog(store::AutoreplyStore& store) : store_(store) {}
  // True if a reply to `sender` is due (and records it as sent now).
  base::Result<bool> claim(int64_t mailbox_id, const std::string& sender, int64_t period,
                           int64_t now);

 private:
  store::AutoreplyStore& store_;
};

}  // namespace posthouse::delivery
