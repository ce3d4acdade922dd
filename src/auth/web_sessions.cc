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
  auto st = PH_TRY(db_.prepare(
      "INSERT INTO web_sessions(id_hash, subject_kind, subject_id, csrf, ip, created_at, "
      "last_seen_at, expires_at) VALUES(?,?,?,?,?,?,?,?)"));
  st.bind(1, sha256_hex(s.id))
      .bind(2, subject.kind)
      .bind(3, subject.id)
      .bind(4, s.csrf)
      .bind(5, ip)
      .bind(6, now)
      .bind(7, now)
      .bind(8, now + opts_.lifetime_seconds);
  PH_CHECK(st.run());
  return s;
}

base::Result<SessionInfo> WebSessions::lookup(const std::string& id, int64_t now) {
  Error unauth(Errc::kUnauthenticated, "not logged in or session expired");
  if (id.empty() || id.size() > 128) return unauth;
  std::string h = sha256_hex(id);
  auto st = PH_TRY(db_.prepare(
      "SELECT subject_kind, subject_id, csrf, created_at, last_seen_at, expires_at "
      "FROM web_sessions WHERE id_hash = ?"));
  st.bind(1, h);
  if (!PH_TRY(st.step())) return unauth;
  SessionInfo info;
  info.subject = {st.col_text(0), st.col_int(1)};
  info.csrf = st.col_text(2);
  info.created_at = st.col_int(3);
  int64_t last_seen = st.col_int(4);
  info.expires_at = st.col_int(5);
  st.reset();
  if (now >= info.expires_at || now - last_seen >= opts_.idle_timeout_seconds) {
    PH_CHECK(destroy(id));
    return unauth;
  }
  // Refresh at most once a minute: a burst of API calls must not turn every read into a write.
  if (now - last_seen >= 60) {
    auto up = PH_TRY(db_.prepare("UPDATE web_sessions SET last_seen_at = ? WHERE id_hash = ?"));
    up.bind(1, now).bind(2, h);
    PH_CHECK(up.run());
  }
  return info;
}

base::Status WebSessions::destroy(const std::string& id) {
  auto st = PH_TRY(db_.prepare("DELETE FROM web_sessions WHERE id_hash = ?"));
  st.bind(1, sha256_hex(id));
  return st.run();
}

base::Status WebSessions::destroy_subject(const SessionSubject& subject) {
  auto st =
      PH_TRY(db_.prepare("DELETE FROM web_sessions WHERE subject_kind = ? AND subject_id = ?"));
  st.bind(1, subject.kind).bind(2, subject.id);
  return st.run();
}

base::Status WebSessions::sweep(int64_t now) {
  auto st = PH_TRY(db_.prepare(
      "DELETE FROM web_sessions WHERE expires_at <= ? OR last_seen_at <= ?"));
  st.bind(1, now).bind(2, now - opts_.idle_timeout_seconds);
  return st.run();
}

}  // namespace posthouse::auth
