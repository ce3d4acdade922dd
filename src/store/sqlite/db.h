// Thin RAII wrapper over SQLite: connections, prepared statements, transactions, migrations.
//
// Contract:
// - A Db is used by one thread at a time (opened with SQLITE_OPEN_NOMUTEX); give each thread
//   or each pool worker its own Db, or guard it.
// - Every statement is prepared; values are bound, never formatted into SQL (CONVENTIONS 4).
// - Errors come back as base::Result; SQLITE_BUSY/LOCKED map to Errc::kTemporary, constraint
//   violations to Errc::kConflict, everything else to Errc::kIo.
// - Databases are opened in WAL mode with synchronous=FULL so a committed transaction is
//   durable (fsync) before commit() returns.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace posthouse::store::sqlite {

class Db;

class Stmt {
 public:
  Stmt() = default;
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  // Binding: indexes start at 1, like SQLite. Chainable.
  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  Stmt& bind(int i, bool v) { return bind(i, static_cast<int64_t>(v ? 1 : 0)); }
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind_blob(int i, std::string_view bytes);
  Stmt& bind_null(int i);
  template <class T>
  Stmt& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }

  // Steps once: true when a row is available, false when done.
  base::Result<bool> step();
  // Steps to completion, ignoring rows (INSERT/UPDATE/DELETE).
  base::Status run();
  void reset();  // rewinds and clears bindings for reuse

  int64_t col_int(int i) const;
  std::string col_text(int i) const;
  std::string col_blob(int i) const;
  bool col_null(int i) const;
  std::optional<int64_t> col_opt_int(int i) const;
  std::optional<std::string> col_opt_text(int i) const;

 private:
  friend class Db;
  Stmt(Db* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  Db* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
};

class Db {
 public:
  // Opens (creating if needed) the database at path. ":memory:" for tests.
  static base::Result<std::unique_ptr<Db>> open(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  base::Status exec(std::string_view sql);  // for trusted constant SQL only (DDL, PRAGMA)
  base::Result<Stmt> prepare(std::string_view sql);
  int64_t last_insert_id() const;
  int changes() const;
  sqlite3* raw() { return db_; }

  // Applies every compiled-in migration above the current user_version, each in its own
  // transaction. Refuses to run when the file is newer than this binary.
  base::Status migrate();
  base::Result<int> schema_version();

  base::Error error_from(int rc, std::string_view what) const;

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// RAII transaction: BEGIN IMMEDIATE on construction (takes the write lock up front, so
// read-then-write races inside one transaction cannot happen), ROLLBACK unless commit() ran.
class Tx {
 public:
  static base::Result<Tx> begin(Db& db);
  Tx(Tx&& o) noexcept : db_(o.db_), done_(o.done_) { o.done_ = true; }
  Tx(const Tx&) = delete;
  ~Tx();
  base::Status commit();

 private:
  explicit Tx(Db& db) : db_(&db) {}
  Db* db_;
  bool done_ = false;
};

}  // namespace posthouse::store::sqlite
