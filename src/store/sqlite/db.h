// Thin RAII wrapper over SQLite: connections, prepared statements, transactions, migrations.
//
// Contract:
// - A Db is used by one thread at a time (opened with SQLITE_OPEN_NOMUTEX); give each thread
//   or each pool worker its own Db, or guard it.
// - Every statement is prepared; values are bound, never formatted into SQL (CONVENTIONS 4).
// - Errors come back as base::Result; SQLITE_BUSY/LOCKED map to Errc::kTemporary, constraint
//   violations to Errc::kConflict, everything else to Errc::kIo.
// - Db::prepare keeps finished statements for reuse: a Stmt going out of scope is reset and
//   handed back to its connection's cache (keyed by the SQL text), so SQL is parsed once per
//   connection, not once per call. Up to kMaxCachedStatements are kept; when that is
//   exceeded (dynamic SQL), the cache is emptied and refilled. A Stmt may outlive its Db:
//   it then finalizes instead.
// - Databases are opened in WAL mode with synchronous=FULL so a committed transaction is
//   durable (fsync) before commit() returns.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "base/result.h"

namespace posthouse::store::sqlite {

class Db;

// The finished statements of one connection, by SQL text (see Db::prepare).
struct StmtCache {
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Slot = std::vector<sqlite3_stmt*>;
  std::unordered_map<std::string, Slot, Hash, std::equal_to<>> free;
  size_t cached = 0;        // statements held in `free`
  uint64_t generation = 0;  // bumped when `free` is emptied: older slots are gone
  uint64_t hits = 0, misses = 0;
  ~StmtCache();
  void clear();
};

class Stmt {
 public:
  Stmt() = default;
  Stmt(Stmt&& o) noexcept
      : db_(o.db_), s_(o.s_), cache_(std::move(o.cache_)), slot_(o.slot_), gen_(o.gen_) {
    o.s_ = nullptr;
  }
  Stmt& operator=(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  // Binding: indexes start at 1, like SQLite. Chainable. Unsigned values are stored as
  // their int64 conversion (UIDs, MODSEQs and sizes all fit).
  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  Stmt& bind(int i, uint32_t v) { return bind(i, static_cast<int64_t>(v)); }
  Stmt& bind(int i, uint64_t v) { return bind(i, static_cast<int64_t>(v)); }
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
  // Binds every argument in order from index 1: bind_all(a, b) is bind(1, a).bind(2, b). A
  // std::tuple argument binds its elements in turn, so a column group that an INSERT and an
  // UPDATE share is written once (the *_values() helpers of the directory store).
  template <class... A>
  Stmt& bind_all(const A&... args) {
    [[maybe_unused]] int i = 0;  // unused when there is nothing to bind
    (bind_next(i, args), ...);
    return *this;
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
  template <class T>
  struct IsTuple : std::false_type {};
  template <class... T>
  struct IsTuple<std::tuple<T...>> : std::true_type {};
  template <class T>
  void bind_next(int& i, const T& v) {
    if constexpr (IsTuple<T>::value) {
      std::apply([&](const auto&... e) { (bind_next(i, e), ...); }, v);
    } else {
      bind(++i, v);
    }
  }

  Stmt(Db* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  void release();  // back to the cache, or finalized
  Db* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
  std::weak_ptr<StmtCache> cache_;
  StmtCache::Slot* slot_ = nullptr;
  uint64_t gen_ = 0;
};

// Reads the current row's columns in order, so a reader names each field once and no column
// index is written twice:
//   Row r(st);  x.id = r.i64();  x.name = r.text();  r.into(x.size, x.flags);
// into() picks each read by the target's type: integers (cast from the stored int64, as the
// writers bind them; NULL reads as 0), bool (non-zero), std::string (text; NULL reads as ""),
// std::optional<int64_t> and std::optional<std::string> (NULL is nullopt). Borrowed: the Stmt must
// outlive the Row and stay on the same row.
class Row {
 public:
  explicit Row(const Stmt& st, int first = 0) : st_(st), i_(first) {}
  int64_t i64() { return st_.col_int(i_++); }
  bool flag() { return i64() != 0; }
  std::string text() { return st_.col_text(i_++); }
  std::string blob() { return st_.col_blob(i_++); }
  std::optional<int64_t> opt_i64() { return st_.col_opt_int(i_++); }
  std::optional<std::string> opt_text() { return st_.col_opt_text(i_++); }
  // The next column as T (the types into() accepts).
  template <class T>
  T get() {
    if constexpr (std::is_same_v<T, bool>) {
      return flag();
    } else if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(i64());
    } else if constexpr (std::is_same_v<T, std::string>) {
      return text();
    } else if constexpr (std::is_same_v<T, std::optional<int64_t>>) {
      return opt_i64();
    } else {
      static_assert(std::is_same_v<T, std::optional<std::string>>, "unsupported column type");
      return opt_text();
    }
  }
  template <class... T>
  void into(T&... out) {
    ((out = get<T>()), ...);
  }
  Row& skip(int n = 1) {
    i_ += n;
    return *this;
  }

 private:
  const Stmt& st_;
  int i_;
};

class Db {
 public:
  // Opens (creating if needed) the database at path. ":memory:" for tests.
  static base::Result<std::unique_ptr<Db>> open(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  static constexpr size_t kMaxCachedStatements = 256;
  static constexpr size_t kMaxCachedPerText = 4;

  base::Status exec(std::string_view sql);  // for trusted constant SQL only (DDL, PRAGMA)
  // One statement; reuses a cached one for the same text when there is one.
  base::Result<Stmt> prepare(std::string_view sql);
  const StmtCache& statement_cache() const { return *cache_; }
  int64_t last_insert_id() const;
  int changes() const;
  sqlite3* raw() { return db_; }

  // Applies every compiled-in migration above the current user_version, each in its own
  // transaction. Refuses to run when the file is newer than this binary.
  base::Status migrate();
  base::Result<int> schema_version();

  base::Error error_from(int rc, std::string_view what) const;

 private:
  explicit Db(sqlite3* db) : db_(db), cache_(std::make_shared<StmtCache>()) {}
  sqlite3* db_;
  std::shared_ptr<StmtCache> cache_;
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
