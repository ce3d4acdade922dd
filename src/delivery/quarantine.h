// The quarantine (docs/antispam.md): mail the spam policy holds back from a mailbox, kept in
// store::QuarantineStore until its user or a domain administrator releases it (into INBOX)
// or deletes it, or its retention ends. Held mail is announced to the user by a notice
// (white-labelled with the domain's branding) whose links release one message each, without
// a login.
//
// Contract:
// - hold(): stores the message once for the given mailboxes, durably, each with its reason;
//   then sends the notices that are due for them (errors logged: the message is held).
// - Users and administrators act through the directory's policy: list/get/body/release/
//   remove ask directory::Service (quarantine.release); an entry out of the actor's scope is
//   kNotFound, like a missing one. release() delivers into INBOX first and removes the entry
//   after (a crash in between leaves it held and delivered, never lost); both are audited.
// - Links: a notice gives each entry a fresh random secret (32 bytes, base64url) and the
//   store keeps only its SHA-256; by_token()/release_by_token() find the entry by it; an
//   unknown or used token is kNotFound. A link only shows and releases that one entry.
// - send_notices(): at most one notice per mailbox per notice_interval_seconds, listing its
//   entries not yet announced (at most 100 per notice; the rest in the next one).
// - purge(): removes entries past their retention.
// - Thread-safe (state lives in the store; callbacks must be thread-safe).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "delivery/service_pool.h"
#include "store/quarantine_store.h"

namespace posthouse::delivery {

struct QuarantineSettings {
  int64_t retention_seconds = 30 * 86400;
  int64_t notice_interval_seconds = 86400;
  std::string link_base;  // "https://mail.example.com": links are BASE/release?token=...
  std::string hostname;   // of Message-IDs and the default notice sender
};

struct HoldRequest {
  std::string sender;  // the envelope sender
  double score = 0;    // rspamd's, 0 when it did not answer
  std::vector<std::pair<int64_t, std::string>> mailboxes;  // (mailbox id, reason)
};

// What a notice lists for one entry (the link's secret included).
struct NoticeEntry {
  store::HeldMessage held;
  std::string token;
};

class Quarantine {
 public:
  // Delivers raw into the mailbox's INBOX (provisioning it if needed); durable when OK.
  using Deliver = std::function<base::Status(int64_t mailbox_id, std::string raw)>;
  // Sends a system message (a notice) to a local address; durable when OK.
  using Send = std::function<base::Status(const std::string& to, std::string message,
                                          int64_t domain_id)>;

  Quarantine(QuarantineSettings s, ServicePool& pool, Deliver deliver, Send send)
      : s_(std::move(s)), pool_(pool), deliver_(std::move(deliver)), send_(std::move(send)) {}

  base::Status hold(const HoldRequest& r, const std::string& raw, int64_t now);

  // mailbox: an address or id; else domain: a name or id (all its mailboxes' entries).
  base::Result<std::vector<store::HeldMessage>> list(const directory::Actor& a,
                                                     std::string_view mailbox,
                                                     std::string_view domain, int64_t before_id,
                                                     int limit);
  base::Result<store::HeldMessage> get(const directory::Actor& a, int64_t id);
  base::Result<std::string> body(const directory::Actor& a, int64_t id);
  base::Status release(const directory::Actor& a, int64_t id);
  base::Status remove(const directory::Actor& a, int64_t id);

  base::Result<store::HeldMessage> by_token(std::string_view token);
  base::Result<store::HeldMessage> release_by_token(std::string_view token);

  // Notices due at `now` (of one mailbox, or of all with 0); returns how many were sent.
  base::Result<int> send_notices(int64_t now, int64_t mailbox_id = 0);
  base::Result<int64_t> purge(int64_t now);

  // The notice for `to` listing `entries` (pure; for tests too).
  static std::string notice_text(const QuarantineSettings& s, const std::string& to,
                                 const directory::Branding& brand,
                                 const std::vector<NoticeEntry>& entries, int64_t now);

 private:
  base::Status release_entry(const directory::Actor& a, const store::HeldMessage& m);
  base::Result<store::HeldMessage> authorized(const directory::Actor& a, int64_t id);

  QuarantineSettings s_;
  ServicePool& pool_;
  Deliver deliver_;
  Send send_;
};

}  // namespace posthouse::delivery
