// SqliteSessionStore: store/session_store.h in posthouse.db (table web_sessions).
// One object per connection; it does not own the Db, which must outlive it.
#pragma once

#include "store/session_store.h"
#include "store/sqlite/db.h"

namespace posthouse::store::sqlite {

class SqliteSessionStore final : public SessionStore {
 public:
  explicit SqliteSessionStore(Db& db) : db_(db) {}

  base::Status insert(const SessionRecord& r) override;
  base::Result<std::optional<SessionRecord>> find(std::string_view id_hash) override;
  base::Status touch(std::string_view id_hash, int64_t last_seen_at) override;
  base::Status remove(std::string_view id_hash) override;
  base::Status remove_subject(std::string_view subject_kind, int64_t subject_id) override;
  base::Status sweep(int64_t expired_at, int64_t idle_since) override;

 private:
  Db& db_;
};

}  // namespace posthouse::store::sqlite
