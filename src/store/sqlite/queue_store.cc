#include "store/sqlite/queue_store.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/ids.h"
#include "base/strings.h"

namespace posthouse::store::sqlite {

using base::Errc;
using base::Error;

base::Result<std::string> SqliteQueueStore::enqueue(const NewMessage& m, int64_t now) {
  if (m.recipients.empty()) return Error(Errc::kInvalid, "no recipients");
  std::string qid = "Q" + base::to_lower(base::random_hex(8));
  auto tx = PH_TRY(Tx::begin(db_));
  auto ins = PH_TRY(db_.prepare(
      "INSERT INTO queue_messages(queue_id, sender, envid, ret_full, smtputf8, eight_bit, body, "
      "size, created_at, origin_domain_id, ret_hdrs) VALUES(?,?,?,?,?,?,?,?,?,?,?)"));
  ins.bind(1, qid)
      .bind(2, m.sender)
      .bind(3, m.envid)
      .bind(4, m.ret_full)
      .bind(5, m.smtputf8)
      .bind(6, m.eight_bit)
      .bind_blob(7, m.body)
      .bind(8, static_cast<int64_t>(m.body.size()))
      .bind(9, now);
  ins.bind(10, m.origin_domain_id).bind(11, m.ret_hdrs);
  PH_CHECK(ins.run());
  int64_t mid = db_.last_insert_id();
  auto rcpt = PH_TRY(db_.prepare(
      "INSERT INTO queue_recipients(message_id, address, domain, notify, orcpt, state, "
      "next_attempt_at, updated_at) VALUES(?,?,?,?,?,'queued',?,?)"));
  for (const auto& r : m.recipients) {
    auto at = r.address.rfind('@');
    std::string domain = at == std::string::npos ? "" : base::to_lower(r.address.substr(at + 1));
    rcpt.reset();
    rcpt.bind(1, mid)
        .bind(2, r.address)
        .bind(3, domain)
        .bind(4, static_cast<int64_t>(r.notify))
        .bind(5, r.orcpt)
        .bind(6, now)
        .bind(7, now);
    PH_CHECK(rcpt.run());
  }
  PH_CHECK(tx.commit());
  return qid;
}

base::Status SqliteQueueStore::load_recipients(QueuedMessage& m) {
  auto st = PH_TRY(db_.prepare(
      "SELECT id, address, domain, state, attempts, next_attempt_at, last_error "
      "FROM queue_recipients WHERE message_id = ? ORDER BY id"));
  st.bind(1, m.id);
  while (PH_TRY(st.step())) {
    QueuedRecipient r;
    r.id = st.col_int(0);
    r.address = st.col_text(1);
    r.domain = st.col_text(2);
    r.state = state_from_name(st.col_text(3)).value_or(RecipientState::kQueued);
    r.attempts = static_cast<int>(st.col_int(4));
    r.next_attempt_at = st.col_int(5);
    r.last_error = st.col_text(6);
    m.recipients.push_back(std::move(r));
  }
  return {};
}

namespace {
constexpr std::string_view kMessageCols =
    "SELECT id, queue_id, sender, size, created_at, origin_domain_id FROM queue_messages ";

QueuedMessage read_message(const Stmt& st) {
  QueuedMessage m;
  m.id = st.col_int(0);
  m.queue_id = st.col_text(1);
  m.sender = st.col_text(2);
  m.size = st.col_int(3);
  m.created_at = st.col_int(4);
  m.origin_domain_id = st.col_opt_int(5);
  return m;
}
}  // namespace

base::Result<std::vector<QueuedMessage>> SqliteQueueStore::list(int limit) {
  ListFilter f;
  f.limit = limit;
  return list_page(f);
}

base::Result<std::vector<QueuedMessage>> SqliteQueueStore::list_page(const ListFilter& f) {
  // Constant SQL; the optional filters are bound as NULL when absent.
  auto st = PH_TRY(db_.prepare(
      std::string(kMessageCols) +
      "m WHERE id > ?1 AND (?2 IS NULL OR EXISTS (SELECT 1 FROM queue_recipients r WHERE "
      "r.message_id = m.id AND r.state = ?2)) AND (?3 IS NULL OR EXISTS (SELECT 1 FROM "
      "queue_recipients r WHERE r.message_id = m.id AND r.domain = ?3)) ORDER BY id LIMIT ?4"));
  st.bind(1, f.after_id);
  if (f.state) {
    st.bind(2, state_name(*f.state));
  } else {
    st.bind_null(2);
  }
  if (!f.recipient_domain.empty()) {
    st.bind(3, base::to_lower(f.recipient_domain));
  } else {
    st.bind_null(3);
  }
  st.bind(4, std::clamp(f.limit, 1, 1000));
  std::vector<QueuedMessage> out;
  while (PH_TRY(st.step())) out.push_back(read_message(st));
  for (auto& m : out) PH_CHECK(load_recipients(m));
  return out;
}

base::Result<QueuedMessage> SqliteQueueStore::get(std::string_view queue_id) {
  auto st = PH_TRY(db_.prepare(std::string(kMessageCols) + "WHERE queue_id = ?"));
  st.bind(1, queue_id);
  if (!PH_TRY(st.step())) return Error(Errc::kNotFound, fmt::format("no queued message {}", queue_id));
  QueuedMessage m = read_message(st);
  PH_CHECK(load_recipients(m));
  return m;
}

base::Result<std::string> SqliteQueueStore::body(std::string_view queue_id) {
  auto st = PH_TRY(db_.prepare("SELECT body FROM queue_messages WHERE queue_id = ?"));
  st.bind(1, queue_id);
  if (!PH_TRY(st.step())) return Error(Errc::kNotFound, fmt::format("no queued message {}", queue_id));
  return st.col_blob(0);
}

base::Result<int64_t> SqliteQueueStore::count(RecipientState s) {
  auto st = PH_TRY(db_.prepare("SELECT count(*) FROM queue_recipients WHERE state = ?"));
  st.bind(1, state_name(s));
  PH_TRY(st.step());
  return st.col_int(0);
}

base::Result<std::vector<Claim>> SqliteQueueStore::claim_due(int64_t now, int limit) {
  auto tx = PH_TRY(Tx::begin(db_));
  auto st = PH_TRY(db_.prepare(
      "SELECT r.id, r.address, r.domain, r.notify, r.orcpt, r.attempts, m.id, m.queue_id, "
      "m.sender, m.envid, m.ret_full, m.smtputf8, m.eight_bit, m.size, m.created_at, "
      "r.delay_warned, m.origin_domain_id, m.ret_hdrs "
      "FROM queue_recipients r JOIN queue_messages m ON m.id = r.message_id "
      "WHERE r.state IN ('queued','deferred') AND r.next_attempt_at <= ? "
      "ORDER BY r.next_attempt_at, r.id LIMIT ?"));
  st.bind(1, now).bind(2, limit);
  std::vector<Claim> out;
  std::vector<int64_t> ids;
  while (PH_TRY(st.step())) {
    ClaimedRecipient r{st.col_int(0), st.col_text(1), st.col_text(2),
                       static_cast<uint8_t>(st.col_int(3)), st.col_text(4),
                       static_cast<int>(st.col_int(5)), st.col_int(15) != 0};
    int64_t mid = st.col_int(6);
    auto it = std::find_if(out.begin(), out.end(), [&](const Claim& c) {
      return c.message_id == mid && c.domain == r.domain;
    });
    if (it == out.end()) {
      Claim c;
      c.message_id = mid;
      c.queue_id = st.col_text(7);
      c.sender = st.col_text(8);
      c.envid = st.col_text(9);
      c.ret_full = st.col_int(10) != 0;
      c.smtputf8 = st.col_int(11) != 0;
      c.eight_bit = st.col_int(12) != 0;
      c.size = st.col_int(13);
      c.created_at = st.col_int(14);
      c.origin_domain_id = st.col_opt_int(16);
      c.ret_hdrs = st.col_int(17) != 0;
      c.domain = r.domain;
      out.push_back(std::move(c));
      it = out.end() - 1;
    }
    ids.push_back(r.id);
    it->recipients.push_back(std::move(r));
  }
  auto up = PH_TRY(db_.prepare(
      "UPDATE queue_recipients SET state = 'sending', updated_at = ? WHERE id = ?"));
  for (int64_t id : ids) {
    up.reset();
    up.bind(1, now).bind(2, id);
    PH_CHECK(up.run());
  }
  PH_CHECK(tx.commit());
  return out;
}

base::Status SqliteQueueStore::record(const std::vector<Outcome>& outcomes, int64_t now) {
  auto tx = PH_TRY(Tx::begin(db_));
  auto up = PH_TRY(db_.prepare(
      "UPDATE queue_recipients SET state = ?, attempts = attempts + 1, next_attempt_at = ?, "
      "last_error = ?, updated_at = ? WHERE id = ? AND state = 'sending'"));
  for (const auto& o : outcomes) {
    up.reset();
    up.bind(1, state_name(o.state))
        .bind(2, o.next_attempt_at)
        .bind(3, o.detail.substr(0, 1000))
        .bind(4, now)
        .bind(5, o.recipient_id);
    PH_CHECK(up.run());
  }
  return tx.commit();
}

base::Status SqliteQueueStore::release(const std::vector<int64_t>& recipient_ids) {
  auto tx = PH_TRY(Tx::begin(db_));
  auto up = PH_TRY(db_.prepare(
      "UPDATE queue_recipients SET state = CASE WHEN attempts > 0 THEN 'deferred' ELSE "
      "'queued' END WHERE id = ? AND state = 'sending'"));
  for (int64_t id : recipient_ids) {
    up.reset();
    up.bind(1, id);
    PH_CHECK(up.run());
  }
  return tx.commit();
}

base::Result<std::vector<int64_t>> SqliteQueueStore::mark_delay_warned(
    const std::vector<int64_t>& recipient_ids) {
  auto tx = PH_TRY(Tx::begin(db_));
  auto up = PH_TRY(db_.prepare(
      "UPDATE queue_recipients SET delay_warned = 1 WHERE id = ? AND delay_warned = 0"));
  std::vector<int64_t> marked;
  for (int64_t id : recipient_ids) {
    up.reset();
    up.bind(1, id);
    PH_CHECK(up.run());
    if (db_.changes() > 0) marked.push_back(id);
  }
  PH_CHECK(tx.commit());
  return marked;
}

base::Status SqliteQueueStore::unmark_delay_warned(const std::vector<int64_t>& recipient_ids) {
  auto tx = PH_TRY(Tx::begin(db_));
  auto up = PH_TRY(db_.prepare("UPDATE queue_recipients SET delay_warned = 0 WHERE id = ?"));
  for (int64_t id : recipient_ids) {
    up.reset();
    up.bind(1, id);
    PH_CHECK(up.run());
  }
  return tx.commit();
}

base::Result<int> SqliteQueueStore::recover(int64_t now) {
  auto up = PH_TRY(db_.prepare(
      "UPDATE queue_recipients SET state = 'deferred', next_attempt_at = ?, updated_at = ? "
      "WHERE state = 'sending'"));
  up.bind(1, now).bind(2, now);
  PH_CHECK(up.run());
  return db_.changes();
}

base::Status SqliteQueueStore::retry(std::string_view queue_id, int64_t now) {
  auto tx = PH_TRY(Tx::begin(db_));
  PH_CHECK(retry_in_transaction(queue_id, now));
  return tx.commit();
}

base::Status SqliteQueueStore::retry_in_transaction(std::string_view queue_id, int64_t now) {
  auto m = PH_TRY(get(queue_id));
  // Waiting recipients become `queued` (due now, never tried since the retry); a recipient
  // being sent right now is left to its attempt.
  auto up = PH_TRY(db_.prepare(
      "UPDATE queue_recipients SET state = 'queued', next_attempt_at = ?, updated_at = ? "
      "WHERE message_id = ? AND state IN ('queued','deferred')"));
  up.bind(1, now).bind(2, now).bind(3, m.id);
  PH_CHECK(up.run());
  if (db_.changes() == 0) {
    return Error(Errc::kConflict, fmt::format("nothing to retry in {}", queue_id));
  }
  return {};
}

base::Status SqliteQueueStore::remove(std::string_view queue_id) {
  auto tx = PH_TRY(Tx::begin(db_));
  PH_CHECK(remove_in_transaction(queue_id));
  return tx.commit();
}

base::Status SqliteQueueStore::remove_in_transaction(std::string_view queue_id) {
  auto m = PH_TRY(get(queue_id));
  auto del_r = PH_TRY(db_.prepare("DELETE FROM queue_recipients WHERE message_id = ?"));
  del_r.bind(1, m.id);
  PH_CHECK(del_r.run());
  auto del = PH_TRY(db_.prepare("DELETE FROM queue_messages WHERE id = ?"));
  del.bind(1, m.id);
  return del.run();
}

base::Result<int> SqliteQueueStore::purge_finished(int64_t before) {
  auto tx = PH_TRY(Tx::begin(db_));
  auto st = PH_TRY(db_.prepare(
      "SELECT m.id FROM queue_messages m WHERE m.created_at < ? AND NOT EXISTS (SELECT 1 FROM "
      "queue_recipients r WHERE r.message_id = m.id AND r.state IN ('queued','sending',"
      "'deferred'))"));
  st.bind(1, before);
  std::vector<int64_t> ids;
  while (PH_TRY(st.step())) ids.push_back(st.col_int(0));
  auto del_r = PH_TRY(db_.prepare("DELETE FROM queue_recipients WHERE message_id = ?"));
  auto del = PH_TRY(db_.prepare("DELETE FROM queue_messages WHERE id = ?"));
  for (int64_t id : ids) {
    del_r.reset();
    del_r.bind(1, id);
    PH_CHECK(del_r.run());
    del.reset();
    del.bind(1, id);
    PH_CHECK(del.run());
  }
  PH_CHECK(tx.commit());
  return static_cast<int>(ids.size());
}

}  // namespace posthouse::store::sqlite
