// SqliteDirectoryStore: customers and principals (logins that are not mailboxes), with a
// manager's domains.
#include "store/sqlite/directory_store.h"
#include "store/sqlite/directory_store_internal.h"

namespace posthouse::store::sqlite {

namespace {

// Customers and principals end their rows alike: the four limits, branding, then (read only)
// created_at and updated_at.
template <class T>
void read_limits_branding_dates(Row& r, T& x) {
  x.limits = read_limits(r);
  x.branding = d::branding_from_json(d::parse_or_empty(r.text()));
  r.into(x.created_at, x.updated_at);
}
template <class T>
auto limits_branding_values(const T& x) {
  return std::tuple_cat(limit_values(x.limits), std::make_tuple(d::to_json(x.branding).dump()));
}

d::Customer read_customer(const Stmt& st) {
  d::Customer c;
  Row r(st);
  r.into(c.id, c.name, c.status);
  read_limits_branding_dates(r, c);
  return c;
}
constexpr Records<d::Customer> kCustomers{
    "customers",
    "id, name, status, max_domains, max_mailboxes, max_mailbox_bytes, max_total_bytes, "
    "branding, created_at, updated_at",
    read_customer, "customer"};
// The columns from name to branding, which an INSERT and an UPDATE both write.
auto customer_values(const d::Customer& c) {
  return std::tuple_cat(std::make_tuple(c.name, c.status), limits_branding_values(c));
}

d::PrincipalKind kind_from(const std::string& s) {
  if (s == "admin") return d::PrincipalKind::kAdmin;
  if (s == "manager") return d::PrincipalKind::kManager;
  if (s == "postmaster") return d::PrincipalKind::kPostmaster;
  return d::PrincipalKind::kCustomer;
}
d::Principal read_principal(const Stmt& st) {
  d::Principal p;
  Row r(st);
  p.id = r.i64();
  p.kind = kind_from(r.text());
  r.into(p.login, p.display_name, p.password_hash, p.customer_id, p.domain_id);
  p.manager_kind = r.text() == "full" ? d::ManagerKind::kFull : d::ManagerKind::kScoped;
  p.status = r.text();
  read_limits_branding_dates(r, p);
  return p;
}
constexpr Records<d::Principal> kPrincipals{
    "principals",
    "id, kind, login, display_name, password_hash, customer_id, domain_id, manager_kind, status, "
    "max_domains, max_mailboxes, max_mailbox_bytes, max_total_bytes, branding, created_at, "
    "updated_at",
    read_principal, "principal"};
// Managers only; NULL for the other kinds.
std::optional<std::string> manager_kind_text(const d::Principal& p) {
  if (p.kind != d::PrincipalKind::kManager) return std::nullopt;
  return p.manager_kind == d::ManagerKind::kFull ? "full" : "scoped";
}
// The columns from manager_kind to branding, which an INSERT and an UPDATE both write.
auto principal_values(const d::Principal& p) {
  return std::tuple_cat(std::make_tuple(manager_kind_text(p), p.status), limits_branding_values(p));
}

}  // namespace

// ---- customers

base::Result<Id> SqliteDirectoryStore::insert_customer(const d::Customer& c) {
  return insert_bound(db_,
                      "INSERT INTO customers (name, status, max_domains, max_mailboxes, "
                      "max_mailbox_bytes, max_total_bytes, branding, created_at, updated_at) "
                      "VALUES (?,?,?,?,?,?,?,?,?)",
                      customer_values(c), c.created_at, c.updated_at);
}
base::Result<d::Customer> SqliteDirectoryStore::get_customer(Id id) {
  return kCustomers.by_id(db_, id);
}
base::Result<std::optional<d::Customer>> SqliteDirectoryStore::find_customer(
    std::string_view name) {
  return kCustomers.one(db_, "WHERE name=?", name);
}
base::Status SqliteDirectoryStore::update_customer(const d::Customer& c) {
  return exec_bound(db_,
                    "UPDATE customers SET name=?, status=?, max_domains=?, max_mailboxes=?, "
                    "max_mailbox_bytes=?, max_total_bytes=?, branding=?, updated_at=? WHERE id=?",
                    customer_values(c), c.updated_at, c.id);
}
base::Result<std::vector<d::Customer>> SqliteDirectoryStore::list_customers() {
  return kCustomers.all(db_, "ORDER BY name");
}
base::Status SqliteDirectoryStore::delete_customer(Id id) {
  return exec_bound(db_, "DELETE FROM customers WHERE id=?", id);
}

// ---- principals

base::Status SqliteDirectoryStore::set_manager_domains(Id manager_id,
                                                       const std::vector<Id>& domain_ids) {
  PH_CHECK(exec_bound(db_, "DELETE FROM manager_domains WHERE manager_id=?", manager_id));
  for (Id dom : domain_ids) {
    PH_CHECK(
        exec_bound(db_, "INSERT OR IGNORE INTO manager_domains VALUES (?,?)", manager_id, dom));
  }
  return {};
}

base::Result<std::vector<Id>> SqliteDirectoryStore::manager_domain_ids(Id manager_id) {
  return ids("SELECT domain_id FROM manager_domains WHERE manager_id=? ORDER BY domain_id",
             manager_id);
}

base::Result<Id> SqliteDirectoryStore::insert_principal(const d::Principal& p) {
  Id id = PH_TRY(insert_bound(
      db_,
      "INSERT INTO principals (kind, login, display_name, password_hash, customer_id, domain_id, "
      "manager_kind, status, max_domains, max_mailboxes, max_mailbox_bytes, max_total_bytes, "
      "branding, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      std::string(d::principal_kind_name(p.kind)), p.login, p.display_name, p.password_hash,
      nz(p.customer_id), nz(p.domain_id), principal_values(p), p.created_at, p.updated_at));
  if (p.kind == d::PrincipalKind::kManager) PH_CHECK(set_manager_domains(id, p.domain_ids));
  return id;
}

base::Result<d::Principal> SqliteDirectoryStore::get_principal(Id id) {
  auto p = PH_TRY(kPrincipals.by_id(db_, id));
  p.domain_ids = PH_TRY(manager_domain_ids(id));
  return p;
}

base::Result<std::optional<d::Principal>> SqliteDirectoryStore::find_principal(
    std::string_view login) {
  auto p = PH_TRY(kPrincipals.one(db_, "WHERE login=?", login));
  if (p) {
    p->domain_ids = PH_TRY(manager_domain_ids(p->id));
  }
  return p;
}

base::Status SqliteDirectoryStore::update_principal(const d::Principal& p) {
  PH_CHECK(exec_bound(
      db_,
      "UPDATE principals SET login=?, display_name=?, password_hash=?, manager_kind=?, status=?, "
      "max_domains=?, max_mailboxes=?, max_mailbox_bytes=?, max_total_bytes=?, branding=?, "
      "updated_at=? WHERE id=?",
      p.login, p.display_name, p.password_hash, principal_values(p), p.updated_at, p.id));
  if (p.kind == d::PrincipalKind::kManager) PH_CHECK(set_manager_domains(p.id, p.domain_ids));
  return {};
}

base::Result<std::vector<d::Principal>> SqliteDirectoryStore::list_principals(Id customer_id) {
  auto all = PH_TRY(kPrincipals.all(db_, "WHERE customer_id=? ORDER BY login", customer_id));
  for (auto& p : all) {
    p.domain_ids = PH_TRY(manager_domain_ids(p.id));
  }
  return all;
}

base::Status SqliteDirectoryStore::delete_principal(Id id) {
  return exec_bound(db_, "DELETE FROM principals WHERE id=?", id);
}

}  // namespace posthouse::store::sqlite
