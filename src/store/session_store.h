// SessionStore: the control panel's login sessions as rows (auth::WebSessions decides
// lifetimes, makes the secrets and compares them; this only keeps rows).
//
// Contract:
// - A row is keyed by the SHA-256 (hex) of the session id: the id itself is never given to
//   the store, so it cannot end up on disk or in a backup.
// - find() of an unknown hash is an empty optional, not an error.
// - Thread safety: one object per thread at a time (it wraps one connection of its backend).
// Implemented by store/sqlite/session_store.h (table web_sessions, migration 0030).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace posthouse::store {

struct SessionRecord {
  std::string id_hash;
  std::string subject_kind;  // "principal" or "mailbox"
  int64_t subject_id = 0;
  std::string csrf;  // secret: echoed by the client in X-CSRF-Token
  std::string ip;
  int64_t created_at = 0;
  int64_t last_seen_at = 0;
  int64_t expires_at = 0;
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  virtual base::Status insert(const SessionRecord& r) = 0;
  virtual base::Result<std::optional<SessionRecord>> find(std::string_view id_hash) = 0;
  virtual base::Status touch(std::string_view id_hash, int64_t last_seen_at) = 0;
  virtual base::Status remove(std::string_view id_hash) = 0;
  virtual base::Status remove_subject(std::string_view subject_kind, int64_t subject_id) = 0;
  // Deletes rows with expires_at <= expired_at or last_seen_at <= idle_since.
  virtual base::Status sweep(int64_t expired_at, int64_t idle_since) = 0;
};

}  // namespace posthouse::store
