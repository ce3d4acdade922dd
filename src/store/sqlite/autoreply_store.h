// SqliteAutoreplyStore: store/autoreply_store.h in posthouse.db (table autoreply_log).
// One object per connection; it does not own the Db, which must outlive it.
#pragma once

#include "store/autoreply_store.h"
#include "store/sqlite/db.h"

namespace posthouse::store::sqlite {

class SqliteAutoreplyStore final : public AutoreplyStore {
 public:
  explicit SqliteAutoreplyStore(Db& db) : db_(db) {}
  base::Result<bool> claim(int64_t mailbox_id, std::string_view sender, int64_t period,
                           int64_t now) override;

 private:
  Db& db_;
};

}  // namespace posthouse::store::sqlite
