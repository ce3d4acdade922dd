// The outbound queue's storage: messages for external recipients with a per-recipient state.
//
// Contract:
// - enqueue() is durable when it returns OK (one transaction; synchronous=FULL WAL commit):
//   the SMTP 250 for external recipients depends on it. On error nothing is visible.
// - States and transitions are the named ones of RecipientState (docs/outbound.md); a recipient
//   never goes back from a final state (delivered, bounced, expired).
// - One QueueStore per thread (it wraps one SQLite connection).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/sqlite/db.h"

namespace posthouse::queue {

enum class RecipientState { kQueued, kSending, kDeferred, kDelivered, kBounced, kExpired };
std::string_view state_name(RecipientState s);
std::optional<RecipientState> state_from_name(std::string_view s);
bool is_final(RecipientState s);

struct NewRecipient {
  std::string address;
  uint8_t notify = 0;
  std::string orcpt;
};

struct NewMessage {
  std::string sender;  // "" = null sender
  std::string envid;
  bool ret_full = false;
  bool smtputf8 = false;
  bool eight_bit = false;
  std::string body;
  std::vector<NewRecipient> recipients;
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
};

class QueueStore {
 public:
  explicit QueueStore(store::sqlite::Db& db) : db_(db) {}

  // Returns the queue id ("Q" + 16 hex digits).
  base::Result<std::string> enqueue(const NewMessage& m, int64_t now);
  base::Result<std::vector<QueuedMessage>> list(int limit);
  base::Result<QueuedMessage> get(std::string_view queue_id);
  base::Result<std::string> body(std::string_view queue_id);
  base::Result<int64_t> count(RecipientState s);

 private:
  base::Status load_recipients(QueuedMessage& m);
  store::sqlite::Db& db_;
};

}  // namespace posthouse::queue
