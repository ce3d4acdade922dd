// SqliteGreylistStore: store/greylist_store.h in posthouse.db (tables greylist_triplets,
// greylist_allowed). One object per connection; it does not own the Db, which must outlive it.
#pragma once

#include "store/greylist_store.h"
#include "store/sqlite/db.h"

namespace posthouse::store::sqlite {

class SqliteGreylistStore final : public GreylistStore {
 public:
  explicit SqliteGreylistStore(Db& db) : db_(db) {}
  base::Result<GreylistTry> attempt(std::string_view network, std::string_view sender,
                                std::string_view recipient, int64_t now) override;
  base::Status restart(std::string_view network, std::string_view sender,
                       std::string_view recipient, int64_t now) override;
  base::Result<bool> allowed(GreylistAllow kind, std::string_view key, int64_t now) override;
  base::Status allow(GreylistAllow kind, std::string_view key, int64_t until) override;
  base::Result<int64_t> expire(int64_t triplets_before, int64_t now) override;

 private:
  Db& db_;
};

}  // namespace posthouse::store::sqlite
