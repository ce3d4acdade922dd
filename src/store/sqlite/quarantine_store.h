// SqliteQuarantineStore: store/quarantine_store.h in posthouse.db (tables quarantine_bodies,
// quarantine_entries, quarantine_notices; migration 0120). One object per connection; it does
// not own the Db, which must outlive it.
#pragma once

#include "store/quarantine_store.h"
#include "store/sqlite/db.h"

namespace posthouse::store::sqlite {

class SqliteQuarantineStore final : public QuarantineStore {
 public:
  explicit SqliteQuarantineStore(Db& db) : db_(db) {}
  base::Result<std::vector<int64_t>> hold(const std::vector<HeldMessage>& entries,
                                          std::string_view raw) override;
  base::Result<HeldMessage> get(int64_t id) override;
  base::Result<HeldMessage> by_token(std::string_view token_hash) override;
  base::Result<std::string> body(int64_t id) override;
  base::Result<std::vector<HeldMessage>> list(const QuarantineQuery& q) override;
  base::Status remove(int64_t id) override;
  base::Result<int64_t> purge_expired(int64_t now) override;
  base::Result<std::vector<HeldMessage>> pending_notices(int64_t mailbox_id, int64_t sent_before,
                                                         int limit) override;
  base::Status noticed(int64_t mailbox_id,
                       const std::vector<std::pair<int64_t, std::string>>& tokens,
                       int64_t now) override;

 private:
  base::Result<HeldMessage> one(std::string_view where, std::string_view key, int64_t id);
  Db& db_;
};

}  // namespace posthouse::store::sqlite
