#include "queue/queue_store.h"

#include <fmt/format.h>

#include "base/ids.h"
#include "base/strings.h"

namespace posthouse::queue {

using base::Errc;
using base::Error;

namespace {
constexpr std::string_view kNames[] = {"queued",    "sending", "deferred",
                                       "delivered", "bounced", "expired"};
}

std::string_view state_name(RecipientState s) { return kNames[static_cast<int>(s)]; }

std::optional<RecipientState> state_from_name(std::string_view s) {
  for (int i = 0; i < 6; ++i) {
    if (kNames[i] == s) return static_cast<RecipientState>(i);
  }
  return std::nullopt;
}

bool is_final(RecipientState s) {
  return s == RecipientState::kDelivered || s == RecipientState::kBounced ||
         s == RecipientState::kExpired;
}

base::Result<std::string> QueueStore::enqueue(const NewMessage& m, int64_t now) {
  if (m.recipients.empty()) return Error(Errc::kInvalid, "no recipients");
  std::string qid = "Q" + base::to_lower(base::random_hex(8));
  auto tx = PH_TRY(store::sqlite::Tx::begin(db_));
  auto ins = PH_TRY(db_.prepare(
      "INSERT INTO queue_messages(queue_id, sender, envid, ret_full, smtputf8, eight_bit, body, "
      "size, created_at) VALUES(?,?,?,?,?,?,?,?,?)"));
  ins.bind(1, qid)
      .bind(2, m.sender)
      .bind(3, m.envid)
      .bind(4, m.ret_full)
      .bind(5, m.smtputf8)
      .bind(6, m.eight_bit)
      .bind_blob(7, m.body)
      .bind(8, static_cast<int64_t>(m.body.size()))
      .bind(9, now);
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

base::Status QueueStore::load_recipients(QueuedMessage& m) {
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

base::Result<std::vector<QueuedMessage>> QueueStore::list(int limit) {
  auto st = PH_TRY(db_.prepare(
      "SELECT id, queue_id, sender, size, created_at FROM queue_messages ORDER BY id LIMIT ?"));
  st.bind(1, limit);
  std::vector<QueuedMessage> out;
  while (PH_TRY(st.step())) {
    QueuedMessage m{st.col_int(0), st.col_text(1), st.col_text(2), st.col_int(3), st.col_int(4), {}};
    out.push_back(std::move(m));
  }
  for (auto& m : out) PH_CHECK(load_recipients(m));
  return out;
}

base::Result<QueuedMessage> QueueStore::get(std::string_view queue_id) {
  auto st = PH_TRY(db_.prepare(
      "SELECT id, queue_id, sender, size, created_at FROM queue_messages WHERE queue_id = ?"));
  st.bind(1, queue_id);
  if (!PH_TRY(st.step())) return Error(Errc::kNotFound, fmt::format("no queued message {}", queue_id));
  QueuedMessage m{st.col_int(0), st.col_text(1), st.col_text(2), st.col_int(3), st.col_int(4), {}};
  PH_CHECK(load_recipients(m));
  return m;
}

base::Result<std::string> QueueStore::body(std::string_view queue_id) {
  auto st = PH_TRY(db_.prepare("SELECT body FROM queue_messages WHERE queue_id = ?"));
  st.bind(1, queue_id);
  if (!PH_TRY(st.step())) return Error(Errc::kNotFound, fmt::format("no queued message {}", queue_id));
  return st.col_blob(0);
}

base::Result<int64_t> QueueStore::count(RecipientState s) {
  auto st = PH_TRY(db_.prepare("SELECT count(*) FROM queue_recipients WHERE state = ?"));
  st.bind(1, state_name(s));
  PH_TRY(st.step());
  return st.col_int(0);
}

}  // namespace posthouse::queue
