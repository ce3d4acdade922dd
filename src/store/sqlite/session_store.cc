#include "store/sqlite/session_store.h"

namespace posthouse::store::sqlite {

base::Status SqliteSessionStore::insert(const SessionRecord& r) {
  auto st = PH_TRY(db_.prepare(
      "INSERT INTO web_sessions(id_hash, subject_kind, subject_id, csrf, ip, created_at, "
      "last_seen_at, expires_at) VALUES(?,?,?,?,?,?,?,?)"));
  st.bind(1, r.id_hash)
      .bind(2, r.subject_kind)
      .bind(3, r.subject_id)
      .bind(4, r.csrf)
      .bind(5, r.ip)
      .bind(6, r.created_at)
      .bind(7, r.last_seen_at)
      .bind(8, r.expires_at);
  return st.run();
}

base::Result<std::optional<SessionRecord>> SqliteSessionStore::find(std::string_view id_hash) {
  auto st = PH_TRY(db_.prepare(
      "SELECT subject_kind, subject_id, csrf, ip, created_at, last_seen_at, expires_at "
      "FROM web_sessions WHERE id_hash = ?"));
  st.bind(1, id_hash);
  if (!PH_TRY(st.step())) return std::optional<SessionRecord>();
  SessionRecord r;
  r.id_hash = std::string(id_hash);
  r.subject_kind = st.col_text(0);
  r.subject_id = st.col_int(1);
  r.csrf = st.col_text(2);
  r.ip = st.col_text(3);
  r.created_at = st.col_int(4);
  r.last_seen_at = st.col_int(5);
  r.expires_at = st.col_int(6);
  return std::optional<SessionRecord>(std::move(r));
}

base::Status SqliteSessionStore::touch(std::string_view id_hash, int64_t last_seen_at) {
  auto up = PH_TRY(db_.prepare("UPDATE web_sessions SET last_seen_at = ? WHERE id_hash = ?"));
  up.bind(1, last_seen_at).bind(2, id_hash);
  return up.run();
}

base::Status SqliteSessionStore::remove(std::string_view id_hash) {
  auto st = PH_TRY(db_.prepare("DELETE FROM web_sessions WHERE id_hash = ?"));
  st.bind(1, id_hash);
  return st.run();
}

base::Status SqliteSessionStore::remove_subject(std::string_view subject_kind,
                                                int64_t subject_id) {
  auto st =
      PH_TRY(db_.prepare("DELETE FROM web_sessions WHERE subject_kind = ? AND subject_id = ?"));
  st.bind(1, subject_kind).bind(2, subject_id);
  return st.run();
}

base::Status SqliteSessionStore::sweep(int64_t expired_at, int64_t idle_since) {
  auto st =
      PH_TRY(db_.prepare("DELETE FROM web_sessions WHERE expires_at <= ? OR last_seen_at <= ?"));
  st.bind(1, expired_at).bind(2, idle_since);
  return st.run();
}

}  // namespace posthouse::store::sqlite
