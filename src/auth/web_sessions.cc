#include "auth/web_sessions.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/ids.h"

namespace posthouse::auth {

using base::Errc;
using base::Error;

bool secret_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

base::Result<NewSession> WebSessions::create(const SessionSubject& subject, const std::string& ip,
                                             int64_t now) {
  NewSession s{base::random_token(32), base::random_token(24)};
  PH_CHECK(store_.insert({.id_hash = sha256_hex(s.id),
                          .subject_kind = subject.kind,
                          .subject_id = subject.id,
                          .csrf = s.csrf,
                          .ip = ip,
                          .created_at = now,
                          .last_seen_at = now,
                          .expires_at = now + opts_.lifetime_seconds}));
  return s;
}

base::Result<SessionInfo> WebSessions::lookup(const std::string& id, int64_t now) {
  Error unauth(Errc::kUnauthenticated, "not logged in or session expired");
  if (id.empty() || id.size() > 128) return unauth;
  std::string h = sha256_hex(id);
  auto row = PH_TRY(store_.find(h));
  if (!row) return unauth;
  if (now >= row->expires_at || now - row->last_seen_at >= opts_.idle_timeout_seconds) {
    PH_CHECK(store_.remove(h));
    return unauth;
  }
  // Refresh at most once a minute: a burst of API calls must not turn every read into a write.
  if (now - row->last_seen_at >= 60) PH_CHECK(store_.touch(h, now));
  SessionInfo info;
  info.subject = {std::move(row->subject_kind), row->subject_id};
  info.csrf = std::move(row->csrf);
  info.created_at = row->created_at;
  info.expires_at = row->expires_at;
  return info;
}

base::Status WebSessions::destroy(const std::string& id) { return store_.remove(sha256_hex(id)); }

base::Status WebSessions::destroy_subject(const SessionSubject& subject) {
  return store_.remove_subject(subject.kind, subject.id);
}

base::Status WebSessions::sweep(int64_t now) {
  return store_.sweep(now, now - opts_.idle_timeout_seconds);
}

}  // namespace posthouse::auth
