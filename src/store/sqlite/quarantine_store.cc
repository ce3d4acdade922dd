#include "store/sqlite/quarantine_store.h"

#include <cmath>

#include <fmt/format.h>

namespace posthouse::store::sqlite {
namespace {

constexpr const char* kColumns =
    "id, mailbox_id, domain_id, recipient, sender, from_field, subject, reason, score_centi, "
    "size, held_at, expires_at, token_hash, noticed";

HeldMessage read(const Stmt& st) {
  Row r(st);
  HeldMessage m;
  r.into(m.id, m.mailbox_id, m.domain_id, m.recipient, m.sender, m.from, m.subject, m.reason);
  m.score = static_cast<double>(r.i64()) / 100.0;
  r.into(m.size, m.held_at, m.expires_at, m.token_hash, m.noticed);
  return m;
}

base::Result<std::vector<HeldMessage>> read_all(Stmt& st) {
  std::vector<HeldMessage> out;
  while (PH_TRY(st.step())) out.push_back(read(st));
  st.reset();
  return out;
}

}  // namespace

base::Result<std::vector<int64_t>> SqliteQuarantineStore::hold(
    const std::vector<HeldMessage>& entries, std::string_view raw) {
  if (entries.empty()) return std::vector<int64_t>{};
  auto tx = PH_TRY(Tx::begin(db_));
  auto body = PH_TRY(db_.prepare("INSERT INTO quarantine_bodies(raw) VALUES(?)"));
  body.bind_blob(1, raw);
  PH_CHECK(body.run());
  int64_t body_id = db_.last_insert_id();
  auto st = PH_TRY(db_.prepare(
      "INSERT INTO quarantine_entries(body_id, mailbox_id, domain_id, recipient, sender, "
      "from_field, subject, reason, score_centi, size, held_at, expires_at, token_hash) "
      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  std::vector<int64_t> ids;
  for (const auto& e : entries) {
    st.bind_all(body_id, e.mailbox_id, e.domain_id, e.recipient, e.sender, e.from, e.subject,
                e.reason, static_cast<int64_t>(std::llround(e.score * 100.0)),
                static_cast<int64_t>(raw.size()), e.held_at, e.expires_at, e.token_hash);
    PH_CHECK(st.run());
    ids.push_back(db_.last_insert_id());
    st.reset();
  }
  PH_CHECK(tx.commit());
  return ids;
}

base::Result<HeldMessage> SqliteQuarantineStore::one(std::string_view where, std::string_view key,
                                                     int64_t id) {
  auto st = PH_TRY(
      db_.prepare(fmt::format("SELECT {} FROM quarantine_entries WHERE {}", kColumns, where)));
  if (key.empty()) {
    st.bind(1, id);
  } else {
    st.bind(1, key);
  }
  auto rows = PH_TRY(read_all(st));
  if (rows.empty()) return base::Error(base::Errc::kNotFound, "held message not found");
  return std::move(rows.front());
}

base::Result<HeldMessage> SqliteQuarantineStore::get(int64_t id) { return one("id = ?", "", id); }

base::Result<HeldMessage> SqliteQuarantineStore::by_token(std::string_view token_hash) {
  if (token_hash.empty()) return base::Error(base::Errc::kNotFound, "held message not found");
  return one("token_hash = ?", token_hash, 0);
}

base::Result<std::string> SqliteQuarantineStore::body(int64_t id) {
  auto st = PH_TRY(db_.prepare(
      "SELECT b.raw FROM quarantine_entries e JOIN quarantine_bodies b ON b.id = e.body_id "
      "WHERE e.id = ?"));
  st.bind(1, id);
  if (!PH_TRY(st.step())) return base::Error(base::Errc::kNotFound, "held message not found");
  std::string raw = st.col_blob(0);
  st.reset();
  return raw;
}

base::Result<std::vector<HeldMessage>> SqliteQuarantineStore::list(const QuarantineQuery& q) {
  std::string where = "1";
  if (q.mailbox_id) where += " AND mailbox_id = ?";
  if (!q.domain_ids.empty()) {
    where += " AND domain_id IN (";
    for (std::size_t i = 0; i < q.domain_ids.size(); ++i) where += i ? ", ?" : "?";
    where += ")";
  }
  if (q.before_id) where += " AND id < ?";
  auto st = PH_TRY(db_.prepare(fmt::format(
      "SELECT {} FROM quarantine_entries WHERE {} ORDER BY id DESC LIMIT ?", kColumns, where)));
  int i = 0;
  if (q.mailbox_id) st.bind(++i, q.mailbox_id);
  for (int64_t d : q.domain_ids) st.bind(++i, d);
  if (q.before_id) st.bind(++i, q.before_id);
  st.bind(++i, static_cast<int64_t>(q.limit));
  return read_all(st);
}

base::Status SqliteQuarantineStore::remove(int64_t id) {
  auto st = PH_TRY(db_.prepare("DELETE FROM quarantine_entries WHERE id = ?"));
  st.bind(1, id);
  PH_CHECK(st.run());
  if (db_.changes() == 0) return base::Error(base::Errc::kNotFound, "held message not found");
  return {};
}

base::Result<int64_t> SqliteQuarantineStore::purge_expired(int64_t now) {
  auto st = PH_TRY(db_.prepare("DELETE FROM quarantine_entries WHERE expires_at <= ?"));
  st.bind(1, now);
  PH_CHECK(st.run());
  return static_cast<int64_t>(db_.changes());
}

base::Result<std::vector<HeldMessage>> SqliteQuarantineStore::pending_notices(int64_t mailbox_id,
                                                                             int64_t sent_before,
                                                                             int limit) {
  auto st = PH_TRY(db_.prepare(fmt::format(
      "SELECT {} FROM quarantine_entries e WHERE noticed = 0 AND (? = 0 OR mailbox_id = ?) AND "
      "NOT EXISTS (SELECT 1 FROM quarantine_notices n WHERE n.mailbox_id = e.mailbox_id AND "
      "n.sent_at > ?) ORDER BY mailbox_id, id LIMIT ?",
      kColumns)));
  st.bind_all(mailbox_id, mailbox_id, sent_before, static_cast<int64_t>(limit));
  return read_all(st);
}

base::Status SqliteQuarantineStore::noticed(
    int64_t mailbox_id, const std::vector<std::pair<int64_t, std::string>>& tokens, int64_t now) {
  auto tx = PH_TRY(Tx::begin(db_));
  auto mark = PH_TRY(db_.prepare(
      "UPDATE quarantine_entries SET noticed = 1, token_hash = ? WHERE id = ? AND mailbox_id = ?"));
  for (const auto& [id, hash] : tokens) {
    mark.bind_all(hash, id, mailbox_id);
    PH_CHECK(mark.run());
    mark.reset();
  }
  auto sent = PH_TRY(db_.prepare(
      "INSERT INTO quarantine_notices(mailbox_id, sent_at) VALUES(?, ?) ON CONFLICT(mailbox_id) "
      "DO UPDATE SET sent_at = MAX(quarantine_notices.sent_at, excluded.sent_at)"));
  sent.bind_all(mailbox_id, now);
  PH_CHECK(sent.run());
  return tx.commit();
}

}  // namespace posthouse::store::sqlite
