// Numbered schema migrations, compiled in from src/store/migrations/NNNN_name.sql
// (see cmake/embed_migrations.cmake). Applied in order at start; the applied version is kept
// in SQLite's `PRAGMA user_version`. A migration file is never edited once committed: add a
// new one. Numbers are unique and increasing.
#pragma once

#include <string_view>
#include <vector>

namespace posthouse::store {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

const std::vector<Migration>& all_migrations();

}  // namespace posthouse::store
