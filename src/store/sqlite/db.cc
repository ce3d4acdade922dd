#include "store/sqlite/db.h"

#include <fmt/format.h>

#include "store/migrations.h"

namespace posthouse::store::sqlite {

using base::Errc;
using base::Error;

StmtCache::~StmtCache() { clear(); }

void StmtCache::clear() {
  for (auto& [sql, slot] : free) {
    for (auto* s : slot) sqlite3_finalize(s);
  }
  free.clear();
  cached = 0;
  ++generation;
}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    release();
    db_ = o.db_;
    s_ = o.s_;
    cache_ = std::move(o.cache_);
    slot_ = o.slot_;
    gen_ = o.gen_;
    o.s_ = nullptr;
  }
  return *this;
}

Stmt::~Stmt() { release(); }

void Stmt::release() {
  if (!s_) return;
  sqlite3_stmt* s = s_;
  s_ = nullptr;
  auto cache = cache_.lock();
  if (!cache || !slot_ || gen_ != cache->generation || slot_->size() >= Db::kMaxCachedPerText) {
    sqlite3_finalize(s);
    return;
  }
  if (cache->cached >= Db::kMaxCachedStatements) {
    cache->clear();  // dynamic SQL filled it: start over (slot_ is gone with it)
    sqlite3_finalize(s);
    return;
  }
  sqlite3_reset(s);  // releases the read snapshot and any lock
  sqlite3_clear_bindings(s);
  slot_->push_back(s);
  ++cache->cached;
}

Stmt& Stmt::bind(int i, int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
  sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
Stmt& Stmt::bind_blob(int i, std::string_view v) {
  sqlite3_bind_blob64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}

base::Result<bool> Stmt::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = db_->error_from(rc, "step");
  sqlite3_reset(s_);
  return e;
}

base::Status Stmt::run() {
  while (true) {
    bool row = PH_TRY(step());
    if (!row) break;
  }
  return {};
}

void Stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

int64_t Stmt::col_int(int i) const { return sqlite3_column_int64(s_, i); }
std::string Stmt::col_text(int i) const {
  auto p = sqlite3_column_text(s_, i);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s_, i))
           : std::string();
}
std::string Stmt::col_blob(int i) const {
  auto p = sqlite3_column_blob(s_, i);
  return p ? std::string(static_cast<const char*>(p), sqlite3_column_bytes(s_, i))
           : std::string();
}
bool Stmt::col_null(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }
std::optional<int64_t> Stmt::col_opt_int(int i) const {
  if (col_null(i)) return std::nullopt;
  return col_int(i);
}
std::optional<std::string> Stmt::col_opt_text(int i) const {
  if (col_null(i)) return std::nullopt;
  return col_text(i);
}

base::Result<std::unique_ptr<Db>> Db::open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : "out of memory";
    if (raw) sqlite3_close(raw);
    return Error(Errc::kIo, fmt::format("cannot open database {}: {}", path, msg));
  }
  std::unique_ptr<Db> db(new Db(raw));
  sqlite3_busy_timeout(raw, 10000);
  sqlite3_extended_result_codes(raw, 1);
  if (path != ":memory:") PH_CHECK(db->exec("PRAGMA journal_mode=WAL"));
  PH_CHECK(db->exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  return db;
}

Db::~Db() { sqlite3_close_v2(db_); }

Error Db::error_from(int rc, std::string_view what) const {
  int primary = rc & 0xff;
  Errc code = Errc::kIo;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) code = Errc::kTemporary;
  if (primary == SQLITE_CONSTRAINT) code = Errc::kConflict;
  if (primary == SQLITE_FULL) code = Errc::kTemporary;
  return Error(code, fmt::format("database {}: {}", what, sqlite3_errmsg(db_)));
}

base::Status Db::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : "";
    sqlite3_free(err);
    Error e = error_from(rc, "exec");
    e.message += msg.empty() ? "" : " (" + msg + ")";
    return e;
  }
  return {};
}

base::Result<Stmt> Db::prepare(std::string_view sql) {
  auto it = cache_->free.find(sql);
  sqlite3_stmt* s = nullptr;
  if (it != cache_->free.end() && !it->second.empty()) {
    s = it->second.back();
    it->second.pop_back();
    --cache_->cached;
    ++cache_->hits;
  } else {
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s, nullptr);
    if (rc != SQLITE_OK) return error_from(rc, "prepare");
    ++cache_->misses;
    if (it == cache_->free.end()) it = cache_->free.emplace(std::string(sql), StmtCache::Slot{}).first;
  }
  StmtCache::Slot& slot = it->second;
  Stmt st(this, s);
  st.cache_ = cache_;
  st.slot_ = &slot;
  st.gen_ = cache_->generation;
  return st;
}

int64_t Db::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
int Db::changes() const { return sqlite3_changes(db_); }

base::Result<int> Db::schema_version() {
  auto st = PH_TRY(prepare("PRAGMA user_version"));
  PH_TRY(st.step());
  return static_cast<int>(st.col_int(0));
}

base::Status Db::migrate() {
  int current = PH_TRY(schema_version());
  const auto& all = all_migrations();
  int newest = all.empty() ? 0 : all.back().version;
  if (current > newest) {
    return Error(Errc::kInvalid,
                 fmt::format("database schema version {} is newer than this binary knows ({})",
                             current, newest));
  }
  for (const auto& m : all) {
    if (m.version <= current) continue;
    auto tx = PH_TRY(Tx::begin(*this));
    auto st = exec(m.sql);
    if (!st) {
      return Error(Errc::kInternal,
                   fmt::format("migration {} failed: {}", m.name, st.error().message));
    }
    PH_CHECK(exec(fmt::format("PRAGMA user_version={}", m.version)));
    PH_CHECK(tx.commit());
  }
  return {};
}

namespace {
base::Status run_cached(Db& db, std::string_view sql) {
  auto st = PH_TRY(db.prepare(sql));
  return st.run();
}
}  // namespace

base::Result<Tx> Tx::begin(Db& db) {
  PH_CHECK(run_cached(db, "BEGIN IMMEDIATE"));
  return Tx(db);
}

Tx::~Tx() {
  if (!done_) (void)run_cached(*db_, "ROLLBACK");
}

base::Status Tx::commit() {
  auto st = run_cached(*db_, "COMMIT");
  if (st) done_ = true;
  return st;
}

}  // namespace posthouse::store::sqlite
