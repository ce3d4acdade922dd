// Private to the SqliteDirectoryStore implementation (directory_store*.cc): running bound
// statements, reading rows, and the column conversions the record files share. The contract
// is in directory_store.h.
//
// Which file holds what:
//   directory_store.cc             transactions, usage counts, platform limits
//   directory_store_principals.cc  customers and principals (with manager domains)
//   directory_store_domains.cc     domains and domain aliases
//   directory_store_mailboxes.cc   mailboxes and aliases
//   directory_store_templates.cc   templates (versioned) and delegations
//   directory_store_tokens.cc      API tokens and the audit log
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/directory.h"
#include "model/json.h"
#include "store/sqlite/db.h"

namespace posthouse::store::sqlite::directory_internal {

// Runs a SELECT with `args` bound in order and reads every row with `read`.
template <class T, class Read, class... A>
base::Result<std::vector<T>> select_all(Db& db, const std::string& sql, Read read,
                                        const A&... args) {
  auto st = PH_TRY(db.prepare(sql));
  st.bind_all(args...);
  std::vector<T> out;
  while (PH_TRY(st.step())) out.push_back(read(st));
  return out;
}

template <class T, class Read, class... A>
base::Result<std::optional<T>> select_one(Db& db, const std::string& sql, Read read,
                                          const A&... args) {
  auto rows = PH_TRY(select_all<T>(db, sql, read, args...));
  if (rows.empty()) return std::optional<T>();
  return std::optional<T>(std::move(rows.front()));
}

// The row, or kNotFound "<what> not found".
template <class T>
base::Result<T> must(base::Result<std::optional<T>> r, std::string_view what) {
  if (!r.ok()) return std::move(r).error();
  if (!r->has_value()) {
    return base::Error(base::Errc::kNotFound, fmt::format("{} not found", what));
  }
  return std::move(**r);
}

template <class... A>
base::Status exec_bound(Db& db, std::string_view sql, const A&... args) {
  auto st = PH_TRY(db.prepare(sql));
  st.bind_all(args...);
  return st.run();
}

template <class... A>
base::Result<model::Id> insert_bound(Db& db, std::string_view sql, const A&... args) {
  PH_CHECK(exec_bound(db, sql, args...));
  return db.last_insert_id();
}

// One table's records: `cols` in the order `read` reads them. `where` is what follows
// "SELECT <cols> FROM <table>" (conditions, ORDER BY, LIMIT): constant SQL whose `?`s are
// bound from `args` in order.
template <class T>
struct Records {
  std::string_view table;
  std::string_view cols;
  T (*read)(const Stmt&);
  std::string_view what;  // "<what> not found"

  std::string sql(std::string_view where) const {
    return fmt::format("SELECT {} FROM {} {}", cols, table, where);
  }
  template <class... A>
  base::Result<std::vector<T>> all(Db& db, std::string_view where, const A&... args) const {
    return select_all<T>(db, sql(where), read, args...);
  }
  template <class... A>
  base::Result<std::optional<T>> one(Db& db, std::string_view where, const A&... args) const {
    return select_one<T>(db, sql(where), read, args...);
  }
  base::Result<T> by_id(Db& db, model::Id id) const {
    return must(one(db, "WHERE id=?", id), what);
  }
};

// 0 (none) is stored as NULL; NULL reads back as 0 (Row's integers).
inline std::optional<int64_t> nz(int64_t v) { return v ? std::optional<int64_t>(v) : std::nullopt; }

// JSON array columns (ids, addresses, verb names).
template <class T>
std::string json_array(const std::vector<T>& v) {
  return nlohmann::json(v).dump();
}
std::vector<model::Id> ids_from(const std::string& s);
std::vector<std::string> strings_from(const std::string& s);
nlohmann::json verbs_json(const std::vector<model::Verb>& verbs);
// Unknown names are dropped.
std::vector<model::Verb> verbs_from(const std::string& s);

// The four limit columns (max_domains, max_mailboxes, max_mailbox_bytes, max_total_bytes):
// as bound values and read back.
inline auto limit_values(const model::Limits& l) {
  return std::make_tuple(l.max_domains, l.max_mailboxes, l.max_mailbox_bytes, l.max_total_bytes);
}
model::Limits read_limits(Row& r);

}  // namespace posthouse::store::sqlite::directory_internal

// The implementation files call these unqualified (this header is theirs alone).
namespace posthouse::store::sqlite {

namespace d = model;
using base::Errc;
using base::Error;
using directory_internal::exec_bound;
using directory_internal::ids_from;
using directory_internal::insert_bound;
using directory_internal::json_array;
using directory_internal::limit_values;
using directory_internal::must;
using directory_internal::nz;
using directory_internal::read_limits;
using directory_internal::Records;
using directory_internal::select_all;
using directory_internal::select_one;
using directory_internal::strings_from;
using directory_internal::verbs_from;
using directory_internal::verbs_json;
using nlohmann::json;

}  // namespace posthouse::store::sqlite
