// SqliteDkimKeyStore: store/dkim_key_store.h in posthouse.db (table dkim_keys).
// One object per connection; it does not own the Db, which must outlive it.
#pragma once

#include "store/dkim_key_store.h"
#include "store/sqlite/db.h"

namespace posthouse::store::sqlite {

class SqliteDkimKeyStore final : public DkimKeyStore {
 public:
  explicit SqliteDkimKeyStore(Db& db) : db_(db) {}

  base::Result<std::vector<DkimKeyRecord>> get(std::string_view domain) override;
  base::Status insert_absent(const std::vector<DkimKeyRecord>& keys, int64_t now) override;

 private:
  Db& db_;
};

}  // namespace posthouse::store::sqlite
