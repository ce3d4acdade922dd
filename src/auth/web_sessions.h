// Control-panel login sessions (cookie based), kept in a store::SessionStore.
//
// Contract:
// - create() returns the session id (a 256-bit random secret for the cookie, never stored or
//   logged in clear: the table holds its SHA-256) and a CSRF token the client must echo in the
//   X-CSRF-Token header on every state-changing request.
// - lookup() fails with Errc::kUnauthenticated for unknown, expired (absolute lifetime) or idle
//   (no use for idle_timeout) sessions, and deletes those; a hit refreshes last_seen.
// - A new id is issued at every login (create), so a fixated id is worthless; destroy_subject()
//   ends every session of one principal (password change, deletion).
// - Blocking (the store): call from the blocking pool; one object per thread, like its store.
#pragma once

#include <cstdint>
#include <string>

#include "base/hash.h"
#include "base/result.h"
#include "store/session_store.h"

namespace posthouse::auth {

struct SessionSubject {
  std::string kind;  // "principal" or "mailbox"
  int64_t id = 0;
  bool operator==(const SessionSubject&) const = default;
};

struct NewSession {
  std::string id;    // secret: the cookie value
  std::string csrf;  // secret: the X-CSRF-Token value
};

struct SessionInfo {
  SessionSubject subject;
  std::string csrf;
  int64_t created_at = 0;
  int64_t expires_at = 0;
};

struct SessionOptions {
  int64_t lifetime_seconds = 12 * 3600;
  int64_t idle_timeout_seconds = 3600;
};

class WebSessions {
 public:
  WebSessions(store::SessionStore& store, SessionOptions opts = {}) : store_(store), opts_(opts) {}

  base::Result<NewSession> create(const SessionSubject& subject, const std::string& ip,
                                  int64_t now);
  base::Result<SessionInfo> lookup(const std::string& id, int64_t now);
  base::Status destroy(const std::string& id);
  base::Status destroy_subject(const SessionSubject& subject);
  base::Status sweep(int64_t now);  // deletes expired and idle sessions

 private:
  store::SessionStore& store_;
  SessionOptions opts_;
};

// Hex SHA-256 of a secret (used for session ids and API token secrets).
using base::sha256_hex;
// Constant-time comparison for secrets of equal length.
bool secret_equal(std::string_view a, std::string_view b);

}  // namespace posthouse::auth
