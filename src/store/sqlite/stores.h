// The SQLite backend of store/stores.h: one Db connection to posthouse.db per Stores.
#pragma once

#include <string>

#include "store/stores.h"

namespace posthouse::store::sqlite {

class SqliteBackend final : public Backend {
 public:
  explicit SqliteBackend(std::string db_path) : db_path_(std::move(db_path)) {}
  base::Status migrate() override;
  base::Result<std::unique_ptr<Stores>> open() override;

 private:
  std::string db_path_;
};

}  // namespace posthouse::store::sqlite
