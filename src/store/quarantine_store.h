// QuarantineStore: mail held back from mailboxes by the spam policy (antispam/quarantine.h),
// until a user or a domain administrator releases or deletes it, or its retention ends.
//
// Contract:
// - hold() stores one message for one or more mailboxes in one transaction: the body once,
//   one entry per mailbox (ids returned in the order given). Durable when it returns OK.
// - An entry's body lives as long as any entry of the same hold does: remove() of the last
//   one deletes it too. purge_expired() removes every entry whose expires_at is not after
//   `now` (and bodies left without entry); returns how many entries went.
// - get(), body(), by_token(): kNotFound for an unknown id or token hash.
// - list(): newest first (id descending), entries with id < before_id (0: from the newest),
//   at most `limit`; filtered by mailbox (0: any) and by domain set (empty: any).
// - Notices: pending_notices() returns the entries not yet in a notice, of the mailboxes
//   whose last notice is at or before `sent_before` (or never sent), by mailbox then oldest
//   first, at most `limit`, of one mailbox (mailbox_id) or any (0). noticed() marks entries as
//   told, replacing each one's token hash (the notice carries the new secrets), and records
//   the mailbox's notice time.
// - Thread safety: one object per thread at a time (it wraps one connection of its backend).
// Implemented by store/sqlite/quarantine_store.h (migration 0120).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace posthouse::store {

struct HeldMessage {
  int64_t id = 0;
  int64_t mailbox_id = 0;
  int64_t domain_id = 0;
  std::string recipient;  // the mailbox's address
  std::string sender;     // the envelope sender ("" for the null sender)
  std::string from;       // the From field, decoded, cut to 200 characters
  std::string subject;    // the Subject field, decoded, cut to 200 characters
  std::string reason;     // "spam score 9.50", "virus Eicar-Test-Signature", ...
  double score = 0;
  int64_t size = 0;
  int64_t held_at = 0;
  int64_t expires_at = 0;
  std::string token_hash;  // SHA-256 hex of the entry's one-click release secret
  bool noticed = false;
};

struct QuarantineQuery {
  int64_t mailbox_id = 0;           // 0: any
  std::vector<int64_t> domain_ids;  // empty: any
  int64_t before_id = 0;            // 0: from the newest
  int limit = 100;
};

class QuarantineStore {
 public:
  virtual ~QuarantineStore() = default;
  virtual base::Result<std::vector<int64_t>> hold(const std::vector<HeldMessage>& entries,
                                                  std::string_view raw) = 0;
  virtual base::Result<HeldMessage> get(int64_t id) = 0;
  virtual base::Result<HeldMessage> by_token(std::string_view token_hash) = 0;
  virtual base::Result<std::string> body(int64_t id) = 0;
  virtual base::Result<std::vector<HeldMessage>> list(const QuarantineQuery& q) = 0;
  virtual base::Status remove(int64_t id) = 0;
  virtual base::Result<int64_t> purge_expired(int64_t now) = 0;
  virtual base::Result<std::vector<HeldMessage>> pending_notices(int64_t mailbox_id,
                                                                 int64_t sent_before,
                                                                 int limit) = 0;
  // (entry id, new token hash) pairs.
  virtual base::Status noticed(int64_t mailbox_id,
                               const std::vector<std::pair<int64_t, std::string>>& tokens,
                               int64_t now) = 0;
};

}  // namespace posthouse::store
