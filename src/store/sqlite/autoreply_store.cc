#include "store/sqlite/autoreply_store.h"

namespace posthouse::store::sqlite {

base::Result<bool> SqliteAutoreplyStore::claim(int64_t mailbox_id, std::string_view sender,
                                               int64_t period, int64_t now) {
  // One statement decides and records, so two concurrent deliveries cannot both reply.
  auto st = PH_TRY(db_.prepare(
      "INSERT INTO autoreply_log(mailbox_id, sender, sent_at) VALUES(?, ?, ?) "
      "ON CONFLICT(mailbox_id, sender) DO UPDATE SET sent_at = excluded.sent_at "
      "WHERE autoreply_log.sent_at <= ?"));
  st.bind(1, mailbox_id).bind(2, sender).bind(3, now).bind(4, now - period);
  PH_CHECK(st.run());
  return db_.changes() > 0;
}

}  // namespace posthouse::store::sqlite
