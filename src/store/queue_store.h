// QueueStore: the outbound queue's storage: messages for external recipients with a
// per-recipient state (docs/outbound.md).
//
// Contract:
// - enqueue() is durable when it returns OK (one committed transaction; SQLite: synchronous=FULL
//   WAL commit): the SMTP 250 for external recipients depends on it. On error nothing is visible.
// - States and transitions are the named ones of RecipientState; a recipient never goes back
//   from a final state (delivered, bounced, expired).
// - claim_due() hands each due recipient to exactly one caller, across threads and (on a shared
//   backend) across nodes.
// - Thread safety: one object per thread at a time (it wraps one connection of its backend); it
//   shares that connection with the DirectoryStore of the same store::Stores, so the
//   *_in_transaction calls join a transaction opened there.
// Implemented by store/sqlite/queue_store.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace posthouse::store {

enum class RecipientState { kQueued, kSending, kDeferred, kDelivered, kBounced, kExpired };
std::string_view state_name(RecipientState s);
std::optional<RecipientState> state_from_name(std::string_view s);
bool is_final(RecipientState s);

struct NewRecipient {
  std::string address;
  uint8_t notify = 0;  // DSN NOTIFY flags (protocol/smtp NotifyFlags)
  std::string orcpt;   // DSN ORCPT "type;address" (address decoded), "" if none
};

struct NewMessage {
  std::string sender;  // "" = null sender
  std::string envid;
  bool ret_full = false;  // RET=FULL
  bool ret_hdrs = false;  // RET=HDRS (neither: no RET given; migration 0091)
  bool smtputf8 = false;
  bool eight_bit = false;
  std::string body;
  std::vector<NewRecipient> recipients;
  // The local domain (directory id) the message is sent for; 0: none. Decides who may see
  // and manage the entry over the API and `queue --as` (directory policy). nullopt: not
  // recorded (then the sender's domain decides, as for entries older than the column).
  std::optional<int64_t> origin_domain_id;
};

struct QueuedRecipient {
  int64_t id = 0;
  std::string address;
  std::string domain;
  RecipientState state = RecipientState::kQueued;
  int attempts = 0;
  int64_t next_attempt_at = 0;
  std::string last_error;
};

struct QueuedMessage {
  int64_t id = 0;
  std::string queue_id;
  std::string sender;
  int64_t size = 0;
  int64_t created_at = 0;
  std::vector<QueuedRecipient> recipients;
  std::optional<int64_t> origin_domain_id;  // see NewMessage
};

// What list_page() returns: messages with id > after_id, ascending, at most `limit`.
struct ListFilter {
  int64_t after_id = 0;
  int limit = 100;
  std::optional<RecipientState> state;  // some recipient is in this state
  std::string recipient_domain;         // some recipient is at this domain (lower case)
};

// A batch of recipients of one message claimed for one delivery attempt (state `sending`).
struct ClaimedRecipient {
  int64_t id = 0;
  std::string address;
  std::string domain;
  uint8_t notify = 0;
  std::string orcpt;
  int attempts = 0;  // before this attempt
  bool delay_warned = false;  // the sender was told the delivery is late
};

struct Claim {
  int64_t message_id = 0;
  std::string queue_id;
  std::string sender;
  std::string envid;
  bool ret_full = false;
  bool ret_hdrs = false;
  bool smtputf8 = false;
  bool eight_bit = false;
  int64_t size = 0;
  int64_t created_at = 0;
  std::string domain;  // every recipient of a claim has this domain
  std::optional<int64_t> origin_domain_id;  // see NewMessage; reports about it inherit it
  std::vector<ClaimedRecipient> recipients;
};

// The outcome of one attempt for one recipient.
struct Outcome {
  int64_t recipient_id = 0;
  RecipientState state = RecipientState::kDeferred;  // delivered, deferred, bounced, expired
  int64_t next_attempt_at = 0;                       // for deferred
  std::string detail;                                // last reply / diagnostic
};

class QueueStore {
 public:
  virtual ~QueueStore() = default;

  // Returns the queue id ("Q" + 16 hex digits).
  virtual base::Result<std::string> enqueue(const NewMessage& m, int64_t now) = 0;
  virtual base::Result<std::vector<QueuedMessage>> list(int limit) = 0;
  // One page of messages in id order, filtered (bounded by filter.limit, at most 1000).
  virtual base::Result<std::vector<QueuedMessage>> list_page(const ListFilter& filter) = 0;
  virtual base::Result<QueuedMessage> get(std::string_view queue_id) = 0;
  virtual base::Result<std::string> body(std::string_view queue_id) = 0;
  virtual base::Result<int64_t> count(RecipientState s) = 0;

  // Claims recipients due at `now` (queued or deferred with next_attempt_at <= now), at most
  // `limit`, grouped by (message, domain), and moves them to `sending` in one transaction, so
  // two runners never claim the same recipient (PostgreSQL: FOR UPDATE SKIP LOCKED).
  virtual base::Result<std::vector<Claim>> claim_due(int64_t now, int limit) = 0;
  // Records the outcomes of an attempt (attempts + 1 for each). Only `sending` rows change.
  virtual base::Status record(const std::vector<Outcome>& outcomes, int64_t now) = 0;
  // Gives claimed recipients back unattempted (state as before the claim: deferred if they
  // had attempts, else queued), e.g. when the domain is at its concurrency limit.
  virtual base::Status release(const std::vector<int64_t>& recipient_ids) = 0;
  // Sets the delay-warned flag of those recipients that do not have it yet and returns their
  // ids (durable when it returns): who gets a warning is decided here, once.
  virtual base::Result<std::vector<int64_t>> mark_delay_warned(const std::vector<int64_t>& recipient_ids) = 0;
  // Clears the flag again (the warning could not be handed on; a later attempt retries it).
  virtual base::Status unmark_delay_warned(const std::vector<int64_t>& recipient_ids) = 0;
  // At start: recipients left `sending` by a crash become deferred, due now. A delivery that
  // had succeeded at the peer but was not recorded is sent again (at least once, never lost).
  virtual base::Result<int> recover(int64_t now) = 0;
  // Makes every waiting recipient (queued or deferred) of the message due now, in state
  // `queued`. kNotFound if no such message, kConflict if nothing is left to retry.
  virtual base::Status retry(std::string_view queue_id, int64_t now) = 0;
  // Deletes the message and all its recipients (whatever their state). kNotFound if absent.
  virtual base::Status remove(std::string_view queue_id) = 0;
  // The same two inside a write transaction the caller holds on this connection (so an audit
  // record and the change commit together).
  virtual base::Status retry_in_transaction(std::string_view queue_id, int64_t now) = 0;
  virtual base::Status remove_in_transaction(std::string_view queue_id) = 0;
  // Messages whose every recipient is final and older than `before` are deleted.
  virtual base::Result<int> purge_finished(int64_t before) = 0;

};

}  // namespace posthouse::store
