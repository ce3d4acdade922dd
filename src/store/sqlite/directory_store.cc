// SqliteDirectoryStore: transactions, usage counts and platform limits, and the column
// conversions the record files share (directory_store_internal.h says which file holds what).
#include "store/sqlite/directory_store.h"

#include <fmt/format.h>

#include "store/sqlite/directory_store_internal.h"

namespace posthouse::store::sqlite {

namespace directory_internal {

std::vector<Id> ids_from(const std::string& s) {
  auto j = d::parse_or_empty(s);
  std::vector<Id> out;
  if (j.is_array())
    for (auto& x : j)
      if (x.is_number_integer()) out.push_back(x.get<Id>());
  return out;
}

std::vector<std::string> strings_from(const std::string& s) {
  auto j = d::parse_or_empty(s);
  std::vector<std::string> out;
  if (j.is_array())
    for (auto& x : j)
      if (x.is_string()) out.push_back(x.get<std::string>());
  return out;
}

json verbs_json(const std::vector<d::Verb>& verbs) {
  json out = json::array();
  for (auto v : verbs) out.push_back(d::verb_name(v));
  return out;
}

std::vector<d::Verb> verbs_from(const std::string& s) {
  std::vector<d::Verb> out;
  for (auto& v : strings_from(s)) {
    if (auto verb = d::verb_from_name(v)) out.push_back(*verb);
  }
  return out;
}

d::Limits read_limits(Row& r) { return {r.opt_i64(), r.opt_i64(), r.opt_i64(), r.opt_i64()}; }

}  // namespace directory_internal

base::Status SqliteDirectoryStore::in_transaction(const std::function<base::Status()>& fn) {
  if (tx_depth_ > 0) return fn();
  auto tx = PH_TRY(Tx::begin(db_));
  ++tx_depth_;
  auto st = fn();
  --tx_depth_;
  if (!st.ok()) return st;
  return tx.commit();
}

// ---- usage

base::Result<std::vector<Id>> SqliteDirectoryStore::ids(std::string_view sql, int64_t arg) {
  return select_all<Id>(
      db_, std::string(sql), [](const Stmt& st) { return st.col_int(0); }, arg);
}

base::Result<d::Usage> SqliteDirectoryStore::usage(std::string_view domain_filter, int64_t arg) {
  // domain_filter selects the domains counted; deleted objects do not use a slot.
  auto st = PH_TRY(db_.prepare(fmt::format(
      "SELECT (SELECT COUNT(*) FROM domains d WHERE d.status='active' AND {0}), "
      "(SELECT COUNT(*) FROM mailboxes m JOIN domains d ON d.id=m.domain_id "
      " WHERE m.status<>'deleted' AND {0}), "
      "(SELECT IFNULL(SUM(m.quota_bytes),0) FROM mailboxes m JOIN domains d ON d.id=m.domain_id "
      " WHERE m.status<>'deleted' AND {0})",
      domain_filter)));
  if (domain_filter.find('?') != std::string_view::npos) st.bind(1, arg);
  PH_TRY(st.step());
  Row r(st);
  return d::Usage{r.i64(), r.i64(), r.i64()};
}

base::Result<d::Usage> SqliteDirectoryStore::usage_platform() { return usage("1", 0); }
base::Result<d::Usage> SqliteDirectoryStore::usage_customer(Id customer_id) {
  return usage("d.customer_id=?1", customer_id);
}
base::Result<d::Usage> SqliteDirectoryStore::usage_manager(Id manager_id) {
  return usage("d.id IN (SELECT domain_id FROM manager_domains WHERE manager_id=?1)", manager_id);
}
base::Result<d::Usage> SqliteDirectoryStore::usage_domain(Id domain_id) {
  return usage("d.id=?1", domain_id);
}
base::Result<std::vector<Id>> SqliteDirectoryStore::managers_of_domain(Id domain_id) {
  return ids("SELECT manager_id FROM manager_domains WHERE domain_id=? ORDER BY manager_id",
             domain_id);
}

// ---- platform limits

base::Result<d::Limits> SqliteDirectoryStore::get_platform_limits() {
  return must(select_one<d::Limits>(db_,
                                    "SELECT max_domains, max_mailboxes, max_mailbox_bytes, "
                                    "max_total_bytes FROM platform_limits WHERE id=1",
                                    [](const Stmt& st) {
                                      Row r(st);
                                      return read_limits(r);
                                    }),
              "platform limits");
}
base::Status SqliteDirectoryStore::set_platform_limits(const d::Limits& l, d::Time at) {
  return exec_bound(db_,
                    "UPDATE platform_limits SET max_domains=?, max_mailboxes=?, "
                    "max_mailbox_bytes=?, max_total_bytes=?, updated_at=? WHERE id=1",
                    directory_internal::limit_values(l), at);
}

}  // namespace posthouse::store::sqlite
