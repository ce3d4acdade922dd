#include "store/sqlite/directory_store.h"

#include <fmt/format.h>

#include "model/json.h"

namespace posthouse::store::sqlite {

namespace d = model;
using base::Errc;
using base::Error;
using nlohmann::json;

namespace {

// Binds each argument in order (1-based), dispatching on its type.
template <class... A>
void bind_all(Stmt& st, const A&... args) {
  int i = 0;
  (st.bind(++i, args), ...);
}

std::optional<int64_t> nz(int64_t v) { return v ? std::optional<int64_t>(v) : std::nullopt; }

template <class T>
std::string ids_json(const std::vector<T>& v) {
  return json(v).dump();
}

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

d::Limits limits_at(const Stmt& st, int i) {
  return {st.col_opt_int(i), st.col_opt_int(i + 1), st.col_opt_int(i + 2), st.col_opt_int(i + 3)};
}

constexpr std::string_view kCustomerCols =
    "id, name, status, max_domains, max_mailboxes, max_mailbox_bytes, max_total_bytes, "
    "branding, created_at, updated_at";
d::Customer read_customer(const Stmt& st) {
  d::Customer c;
  c.id = st.col_int(0);
  c.name = st.col_text(1);
  c.status = st.col_text(2);
  c.limits = limits_at(st, 3);
  c.branding = d::branding_from_json(d::parse_or_empty(st.col_text(7)));
  c.created_at = st.col_int(8);
  c.updated_at = st.col_int(9);
  return c;
}

constexpr std::string_view kPrincipalCols =
    "id, kind, login, display_name, password_hash, customer_id, domain_id, manager_kind, status, "
    "max_domains, max_mailboxes, max_mailbox_bytes, max_total_bytes, branding, created_at, "
    "updated_at";
d::PrincipalKind kind_from(const std::string& s) {
  if (s == "admin") return d::PrincipalKind::kAdmin;
  if (s == "manager") return d::PrincipalKind::kManager;
  if (s == "postmaster") return d::PrincipalKind::kPostmaster;
  return d::PrincipalKind::kCustomer;
}
d::Principal read_principal(const Stmt& st) {
  d::Principal p;
  p.id = st.col_int(0);
  p.kind = kind_from(st.col_text(1));
  p.login = st.col_text(2);
  p.display_name = st.col_text(3);
  p.password_hash = st.col_text(4);
  p.customer_id = st.col_opt_int(5).value_or(0);
  p.domain_id = st.col_opt_int(6).value_or(0);
  p.manager_kind = st.col_text(7) == "full" ? d::ManagerKind::kFull : d::ManagerKind::kScoped;
  p.status = st.col_text(8);
  p.limits = limits_at(st, 9);
  p.branding = d::branding_from_json(d::parse_or_empty(st.col_text(13)));
  p.created_at = st.col_int(14);
  p.updated_at = st.col_int(15);
  return p;
}

constexpr std::string_view kDomainCols =
    "id, name, customer_id, status, deleted_at, max_mailboxes, max_mailbox_bytes, "
    "max_total_bytes, catchall, created_at, updated_at";
d::Domain read_domain(const Stmt& st) {
  d::Domain x;
  x.id = st.col_int(0);
  x.name = st.col_text(1);
  x.customer_id = st.col_int(2);
  x.status = st.col_text(3);
  x.deleted_at = st.col_opt_int(4);
  x.limits = {std::nullopt, st.col_opt_int(5), st.col_opt_int(6), st.col_opt_int(7)};
  x.catchall = st.col_opt_text(8);
  x.created_at = st.col_int(9);
  x.updated_at = st.col_int(10);
  return x;
}

constexpr std::string_view kMailboxCols =
    "id, address, domain_id, display_name, password_hash, quota_bytes, services, settings, "
    "status, deleted_at, deleted_with_domain, template_id, template_version, forward_to, "
    "forward_keep_copy, last_login_at, last_login_protocol, created_at, updated_at";
d::Mailbox read_mailbox(const Stmt& st) {
  d::Mailbox m;
  m.id = st.col_int(0);
  m.address = st.col_text(1);
  m.domain_id = st.col_int(2);
  m.display_name = st.col_text(3);
  m.password_hash = st.col_text(4);
  m.quota_bytes = st.col_int(5);
  m.services = d::services_from_json(d::parse_or_empty(st.col_text(6)));
  m.settings_json = st.col_text(7);
  m.status = st.col_text(8);
  m.deleted_at = st.col_opt_int(9);
  m.deleted_with_domain = st.col_int(10) != 0;
  m.template_id = st.col_opt_int(11).value_or(0);
  m.template_version = st.col_opt_int(12).value_or(0);
  m.forward_to = strings_from(st.col_text(13));
  m.forward_keep_copy = st.col_int(14) != 0;
  m.last_login_at = st.col_opt_int(15);
  m.last_login_protocol = st.col_opt_text(16);
  m.created_at = st.col_int(17);
  m.updated_at = st.col_int(18);
  return m;
}

constexpr std::string_view kAliasCols = "id, address, domain_id, targets";
d::Alias read_alias(const Stmt& st) {
  return {st.col_int(0), st.col_text(1), st.col_int(2), strings_from(st.col_text(3))};
}

constexpr std::string_view kDelegationCols =
    "id, customer_id, grantor_principal_id, grantee_principal_id, grantee_mailbox_id, verbs, "
    "domain_ids, template_ids, expires_at, created_at";
d::Delegation read_delegation(const Stmt& st) {
  d::Delegation x;
  x.id = st.col_int(0);
  x.customer_id = st.col_int(1);
  x.grantor_principal_id = st.col_opt_int(2).value_or(0);
  x.grantee_principal_id = st.col_opt_int(3).value_or(0);
  x.grantee_mailbox_id = st.col_opt_int(4).value_or(0);
  for (auto& v : strings_from(st.col_text(5))) {
    if (auto verb = d::verb_from_name(v)) x.verbs.push_back(*verb);
  }
  x.domain_ids = ids_from(st.col_text(6));
  x.template_ids = ids_from(st.col_text(7));
  x.expires_at = st.col_opt_int(8);
  x.created_at = st.col_int(9);
  return x;
}

constexpr std::string_view kTokenCols =
    "id, owner_principal_id, owner_mailbox_id, name, prefix, secret_hash, scope, expires_at, "
    "last_used_at, last_used_ip, revoked_at, created_at";
std::string scope_json(const d::TokenScope& s) {
  json verbs = json::array();
  for (auto v : s.verbs) verbs.push_back(d::verb_name(v));
  return json{{"domain_ids", s.domain_ids}, {"verbs", verbs}, {"read_only", s.read_only},
              {"ip_allow", s.ip_allow}}
      .dump();
}
d::TokenScope scope_from(const std::string& text) {
  auto j = d::parse_or_empty(text);
  d::TokenScope s;
  if (!j.is_object()) return s;
  s.domain_ids = ids_from(j.value("domain_ids", json::array()).dump());
  for (auto& v : strings_from(j.value("verbs", json::array()).dump())) {
    if (auto verb = d::verb_from_name(v)) s.verbs.push_back(*verb);
  }
  s.read_only = j.value("read_only", false);
  s.ip_allow = strings_from(j.value("ip_allow", json::array()).dump());
  return s;
}
d::ApiToken read_token(const Stmt& st) {
  d::ApiToken t;
  t.id = st.col_int(0);
  t.owner_principal_id = st.col_opt_int(1).value_or(0);
  t.owner_mailbox_id = st.col_opt_int(2).value_or(0);
  t.name = st.col_text(3);
  t.prefix = st.col_text(4);
  t.secret_hash = st.col_text(5);
  t.scope = scope_from(st.col_text(6));
  t.expires_at = st.col_opt_int(7);
  t.last_used_at = st.col_opt_int(8);
  t.last_used_ip = st.col_opt_text(9);
  t.revoked_at = st.col_opt_int(10);
  t.created_at = st.col_int(11);
  return t;
}

constexpr std::string_view kAuditCols =
    "id, at, actor, actor_kind, token_id, source, ip, verb, target, customer_id, domain_id, "
    "mailbox_id, before, after";
d::AuditRecord read_audit(const Stmt& st) {
  d::AuditRecord r;
  r.id = st.col_int(0);
  r.at = st.col_int(1);
  r.actor = st.col_text(2);
  r.actor_kind = st.col_text(3);
  r.token_id = st.col_opt_int(4);
  r.source = st.col_text(5);
  r.ip = st.col_opt_text(6);
  r.verb = st.col_text(7);
  r.target = st.col_text(8);
  r.customer_id = st.col_opt_int(9);
  r.domain_id = st.col_opt_int(10);
  r.mailbox_id = st.col_opt_int(11);
  r.before = st.col_opt_text(12);
  r.after = st.col_opt_text(13);
  return r;
}

// Runs a SELECT and reads every row with `read`.
template <class T, class Read, class... A>
base::Result<std::vector<T>> select_all(Db& db, const std::string& sql, Read read,
                                        const A&... args) {
  auto st = PH_TRY(db.prepare(sql));
  bind_all(st, args...);
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

template <class T>
base::Result<T> must(base::Result<std::optional<T>> r, std::string_view what) {
  if (!r.ok()) return std::move(r).error();
  if (!r->has_value()) return Error(Errc::kNotFound, fmt::format("{} not found", what));
  return std::move(**r);
}

template <class... A>
base::Status exec_bound(Db& db, std::string_view sql, const A&... args) {
  auto st = PH_TRY(db.prepare(sql));
  bind_all(st, args...);
  return st.run();
}

template <class... A>
base::Result<Id> insert_bound(Db& db, std::string_view sql, const A&... args) {
  PH_CHECK(exec_bound(db, sql, args...));
  return db.last_insert_id();
}

std::string sel(std::string_view cols, std::string_view rest) {
  return fmt::format("SELECT {} {}", cols, rest);
}

}  // namespace

base::Status SqliteDirectoryStore::in_transaction(const std::function<base::Status()>& fn) {
  if (tx_depth_ > 0) return fn();
  auto tx = PH_TRY(Tx::begin(db_));
  ++tx_depth_;
  auto st = fn();
  --tx_depth_;
  if (!st.ok()) return st;
  return tx.commit();
}

// ---- customers

base::Result<Id> SqliteDirectoryStore::insert_customer(const d::Customer& c) {
  return insert_bound(db_,
                      "INSERT INTO customers (name, status, max_domains, max_mailboxes, "
                      "max_mailbox_bytes, max_total_bytes, branding, created_at, updated_at) "
                      "VALUES (?,?,?,?,?,?,?,?,?)",
                      c.name, c.status, c.limits.max_domains, c.limits.max_mailboxes,
                      c.limits.max_mailbox_bytes, c.limits.max_total_bytes,
                      d::to_json(c.branding).dump(), c.created_at, c.updated_at);
}
base::Result<d::Customer> SqliteDirectoryStore::get_customer(Id id) {
  return must(select_one<d::Customer>(db_, sel(kCustomerCols, "FROM customers WHERE id=?"),
                                      read_customer, id),
              "customer");
}
base::Result<std::optional<d::Customer>> SqliteDirectoryStore::find_customer(
    std::string_view name) {
  return select_one<d::Customer>(db_, sel(kCustomerCols, "FROM customers WHERE name=?"),
                                 read_customer, name);
}
base::Status SqliteDirectoryStore::update_customer(const d::Customer& c) {
  return exec_bound(db_,
                    "UPDATE customers SET name=?, status=?, max_domains=?, max_mailboxes=?, "
                    "max_mailbox_bytes=?, max_total_bytes=?, branding=?, updated_at=? WHERE id=?",
                    c.name, c.status, c.limits.max_domains, c.limits.max_mailboxes,
                    c.limits.max_mailbox_bytes, c.limits.max_total_bytes,
                    d::to_json(c.branding).dump(), c.updated_at, c.id);
}
base::Result<std::vector<d::Customer>> SqliteDirectoryStore::list_customers() {
  return select_all<d::Customer>(db_, sel(kCustomerCols, "FROM customers ORDER BY name"),
                                 read_customer);
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

base::Result<Id> SqliteDirectoryStore::insert_principal(const d::Principal& p) {
  Id id = PH_TRY(insert_bound(
      db_,
      "INSERT INTO principals (kind, login, display_name, password_hash, customer_id, domain_id, "
      "manager_kind, status, max_domains, max_mailboxes, max_mailbox_bytes, max_total_bytes, "
      "branding, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      std::string(d::principal_kind_name(p.kind)), p.login, p.display_name, p.password_hash,
      nz(p.customer_id), nz(p.domain_id),
      p.kind == d::PrincipalKind::kManager
          ? std::optional<std::string>(p.manager_kind == d::ManagerKind::kFull ? "full" : "scoped")
          : std::nullopt,
      p.status, p.limits.max_domains, p.limits.max_mailboxes, p.limits.max_mailbox_bytes,
      p.limits.max_total_bytes, d::to_json(p.branding).dump(), p.created_at, p.updated_at));
  if (p.kind == d::PrincipalKind::kManager) PH_CHECK(set_manager_domains(id, p.domain_ids));
  return id;
}

base::Result<std::vector<Id>> SqliteDirectoryStore::manager_domain_ids(Id manager_id) {
  return ids("SELECT domain_id FROM manager_domains WHERE manager_id=? ORDER BY domain_id",
             manager_id);
}

base::Result<d::Principal> SqliteDirectoryStore::get_principal(Id id) {
  auto p =
      PH_TRY(must(select_one<d::Principal>(db_, sel(kPrincipalCols, "FROM principals WHERE id=?"),
                                           read_principal, id),
                  "principal"));
  p.domain_ids = PH_TRY(manager_domain_ids(id));
  return p;
}

base::Result<std::optional<d::Principal>> SqliteDirectoryStore::find_principal(
    std::string_view login) {
  auto p = PH_TRY(select_one<d::Principal>(
      db_, sel(kPrincipalCols, "FROM principals WHERE login=?"), read_principal, login));
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
      p.login, p.display_name, p.password_hash,
      p.kind == d::PrincipalKind::kManager
          ? std::optional<std::string>(p.manager_kind == d::ManagerKind::kFull ? "full" : "scoped")
          : std::nullopt,
      p.status, p.limits.max_domains, p.limits.max_mailboxes, p.limits.max_mailbox_bytes,
      p.limits.max_total_bytes, d::to_json(p.branding).dump(), p.updated_at, p.id));
  if (p.kind == d::PrincipalKind::kManager) PH_CHECK(set_manager_domains(p.id, p.domain_ids));
  return {};
}

base::Result<std::vector<d::Principal>> SqliteDirectoryStore::list_principals(Id customer_id) {
  auto all = PH_TRY(select_all<d::Principal>(
      db_, sel(kPrincipalCols, "FROM principals WHERE customer_id=? ORDER BY login"),
      read_principal, customer_id));
  for (auto& p : all) {
    p.domain_ids = PH_TRY(manager_domain_ids(p.id));
  }
  return all;
}

base::Status SqliteDirectoryStore::delete_principal(Id id) {
  return exec_bound(db_, "DELETE FROM principals WHERE id=?", id);
}

// ---- domains

base::Result<Id> SqliteDirectoryStore::insert_domain(const d::Domain& x) {
  return insert_bound(db_,
                      "INSERT INTO domains (name, customer_id, status, deleted_at, max_mailboxes, "
                      "max_mailbox_bytes, max_total_bytes, catchall, created_at, updated_at) "
                      "VALUES (?,?,?,?,?,?,?,?,?,?)",
                      x.name, x.customer_id, x.status, x.deleted_at, x.limits.max_mailboxes,
                      x.limits.max_mailbox_bytes, x.limits.max_total_bytes, x.catchall,
                      x.created_at, x.updated_at);
}
base::Result<d::Domain> SqliteDirectoryStore::get_domain(Id id) {
  return must(
      select_one<d::Domain>(db_, sel(kDomainCols, "FROM domains WHERE id=?"), read_domain, id),
      "domain");
}
base::Result<std::optional<d::Domain>> SqliteDirectoryStore::find_domain(std::string_view name) {
  return select_one<d::Domain>(db_, sel(kDomainCols, "FROM domains WHERE name=?"), read_domain,
                               name);
}
base::Status SqliteDirectoryStore::update_domain(const d::Domain& x) {
  return exec_bound(db_,
                    "UPDATE domains SET status=?, deleted_at=?, max_mailboxes=?, "
                    "max_mailbox_bytes=?, max_total_bytes=?, catchall=?, updated_at=? "
                    "WHERE id=?",
                    x.status, x.deleted_at, x.limits.max_mailboxes, x.limits.max_mailbox_bytes,
                    x.limits.max_total_bytes, x.catchall, x.updated_at, x.id);
}
base::Result<std::vector<d::Domain>> SqliteDirectoryStore::list_domains(Id customer_id) {
  return select_all<d::Domain>(
      db_, sel(kDomainCols, "FROM domains WHERE (?1 = 0 OR customer_id = ?1) ORDER BY name"),
      read_domain, customer_id);
}
base::Status SqliteDirectoryStore::delete_domain(Id id) {
  // Purge: the domain's mailboxes, aliases, postmaster and manager links go with it.
  PH_CHECK(exec_bound(db_, "DELETE FROM mailboxes WHERE domain_id=?", id));
  return exec_bound(db_, "DELETE FROM domains WHERE id=?", id);
}
base::Result<Id> SqliteDirectoryStore::insert_domain_alias(const d::DomainAlias& a) {
  return insert_bound(db_,
                      "INSERT INTO domain_aliases (name, domain_id, created_at) "
                      "VALUES (?,?,strftime('%s','now'))",
                      a.name, a.domain_id);
}
base::Result<std::optional<d::DomainAlias>> SqliteDirectoryStore::find_domain_alias(
    std::string_view name) {
  return select_one<d::DomainAlias>(
      db_, "SELECT id, name, domain_id FROM domain_aliases WHERE name=?",
      [](const Stmt& st) {
        return d::DomainAlias{st.col_int(0), st.col_text(1), st.col_int(2)};
      },
      name);
}
base::Result<std::vector<d::DomainAlias>> SqliteDirectoryStore::list_domain_aliases(Id domain_id) {
  return select_all<d::DomainAlias>(
      db_, "SELECT id, name, domain_id FROM domain_aliases WHERE domain_id=? ORDER BY name",
      [](const Stmt& st) {
        return d::DomainAlias{st.col_int(0), st.col_text(1), st.col_int(2)};
      },
      domain_id);
}
base::Status SqliteDirectoryStore::delete_domain_alias(Id id) {
  return exec_bound(db_, "DELETE FROM domain_aliases WHERE id=?", id);
}

// ---- mailboxes

base::Result<Id> SqliteDirectoryStore::insert_mailbox(const d::Mailbox& m) {
  return insert_bound(
      db_,
      "INSERT INTO mailboxes (address, domain_id, display_name, password_hash, quota_bytes, "
      "services, settings, status, deleted_at, deleted_with_domain, template_id, "
      "template_version, forward_to, forward_keep_copy, last_login_at, last_login_protocol, "
      "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      m.address, m.domain_id, m.display_name, m.password_hash, m.quota_bytes,
      d::to_json(m.services).dump(), m.settings_json, m.status, m.deleted_at, m.deleted_with_domain,
      nz(m.template_id), nz(m.template_version), ids_json(m.forward_to), m.forward_keep_copy,
      m.last_login_at, m.last_login_protocol, m.created_at, m.updated_at);
}
base::Result<d::Mailbox> SqliteDirectoryStore::get_mailbox(Id id) {
  return must(
      select_one<d::Mailbox>(db_, sel(kMailboxCols, "FROM mailboxes WHERE id=?"), read_mailbox, id),
      "mailbox");
}
base::Result<std::optional<d::Mailbox>> SqliteDirectoryStore::find_mailbox(
    std::string_view address) {
  return select_one<d::Mailbox>(db_, sel(kMailboxCols, "FROM mailboxes WHERE address=?"),
                                read_mailbox, address);
}
base::Status SqliteDirectoryStore::update_mailbox(const d::Mailbox& m) {
  return exec_bound(
      db_,
      "UPDATE mailboxes SET address=?, domain_id=?, display_name=?, password_hash=?, "
      "quota_bytes=?, services=?, settings=?, status=?, deleted_at=?, deleted_with_domain=?, "
      "template_id=?, template_version=?, forward_to=?, forward_keep_copy=?, last_login_at=?, "
      "last_login_protocol=?, updated_at=? WHERE id=?",
      m.address, m.domain_id, m.display_name, m.password_hash, m.quota_bytes,
      d::to_json(m.services).dump(), m.settings_json, m.status, m.deleted_at, m.deleted_with_domain,
      nz(m.template_id), nz(m.template_version), ids_json(m.forward_to), m.forward_keep_copy,
      m.last_login_at, m.last_login_protocol, m.updated_at, m.id);
}
base::Result<std::vector<d::Mailbox>> SqliteDirectoryStore::list_mailboxes(Id domain_id) {
  return select_all<d::Mailbox>(
      db_, sel(kMailboxCols, "FROM mailboxes WHERE domain_id=? ORDER BY address"), read_mailbox,
      domain_id);
}
base::Status SqliteDirectoryStore::delete_mailbox(Id id) {
  return exec_bound(db_, "DELETE FROM mailboxes WHERE id=?", id);
}
base::Result<std::vector<Id>> SqliteDirectoryStore::expired_mailboxes(d::Time before) {
  return ids(
      "SELECT id FROM mailboxes WHERE status='deleted' AND deleted_with_domain=0 "
      "AND deleted_at < ? ORDER BY id",
      before);
}
base::Result<std::vector<Id>> SqliteDirectoryStore::expired_domains(d::Time before) {
  return ids("SELECT id FROM domains WHERE status='deleted' AND deleted_at < ? ORDER BY id",
             before);
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
  return d::Usage{st.col_int(0), st.col_int(1), st.col_int(2)};
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
                                    [](const Stmt& st) { return limits_at(st, 0); }),
              "platform limits");
}
base::Status SqliteDirectoryStore::set_platform_limits(const d::Limits& l, d::Time at) {
  return exec_bound(db_,
                    "UPDATE platform_limits SET max_domains=?, max_mailboxes=?, "
                    "max_mailbox_bytes=?, max_total_bytes=?, updated_at=? WHERE id=1",
                    l.max_domains, l.max_mailboxes, l.max_mailbox_bytes, l.max_total_bytes, at);
}

// ---- aliases

base::Result<Id> SqliteDirectoryStore::insert_alias(const d::Alias& a) {
  return insert_bound(db_,
                      "INSERT INTO aliases (address, domain_id, targets, created_at, updated_at) "
                      "VALUES (?,?,?,strftime('%s','now'),strftime('%s','now'))",
                      a.address, a.domain_id, ids_json(a.targets));
}
base::Result<std::optional<d::Alias>> SqliteDirectoryStore::find_alias(std::string_view address) {
  return select_one<d::Alias>(db_, sel(kAliasCols, "FROM aliases WHERE address=?"), read_alias,
                              address);
}
base::Status SqliteDirectoryStore::update_alias(const d::Alias& a) {
  return exec_bound(db_, "UPDATE aliases SET targets=?, updated_at=strftime('%s','now') WHERE id=?",
                    ids_json(a.targets), a.id);
}
base::Result<std::vector<d::Alias>> SqliteDirectoryStore::list_aliases(Id domain_id) {
  return select_all<d::Alias>(db_,
                              sel(kAliasCols, "FROM aliases WHERE domain_id=? ORDER BY address"),
                              read_alias, domain_id);
}
base::Status SqliteDirectoryStore::delete_alias(Id id) {
  return exec_bound(db_, "DELETE FROM aliases WHERE id=?", id);
}

// ---- templates

base::Result<Id> SqliteDirectoryStore::insert_template(const d::Template& t) {
  Id id = PH_TRY(insert_bound(db_,
                              "INSERT INTO templates (customer_id, name, current_version, "
                              "created_at, updated_at) VALUES (?,?,1,strftime('%s','now'),"
                              "strftime('%s','now'))",
                              nz(t.customer_id), t.name));
  PH_CHECK(exec_bound(db_,
                      "INSERT INTO template_versions (template_id, version, settings, "
                      "created_at) VALUES (?,1,?,strftime('%s','now'))",
                      id, d::to_json(t.settings).dump()));
  return id;
}

base::Result<std::vector<d::Template>> SqliteDirectoryStore::templates_where(std::string_view where,
                                                                             Id a,
                                                                             std::string_view b) {
  return select_all<d::Template>(
      db_,
      fmt::format("SELECT t.id, t.customer_id, t.name, t.current_version, v.settings "
                  "FROM templates t JOIN template_versions v "
                  "ON v.template_id=t.id AND v.version=t.current_version WHERE {} "
                  "ORDER BY t.customer_id IS NOT NULL, t.name",
                  where),
      [](const Stmt& st) {
        d::Template t;
        t.id = st.col_int(0);
        t.customer_id = st.col_opt_int(1).value_or(0);
        t.name = st.col_text(2);
        t.version = st.col_int(3);
        t.settings = d::template_settings_from_json(d::parse_or_empty(st.col_text(4)));
        return t;
      },
      a, b);
}

base::Result<d::Template> SqliteDirectoryStore::get_template(Id id) {
  auto v = PH_TRY(templates_where("t.id=?1 AND ?2=''", id, ""));
  if (v.empty()) return Error(Errc::kNotFound, "template not found");
  return v.front();
}
base::Result<d::TemplateSettings> SqliteDirectoryStore::get_template_version(Id id,
                                                                             int64_t version) {
  auto r = PH_TRY(select_one<std::string>(
      db_, "SELECT settings FROM template_versions WHERE template_id=? AND version=?",
      [](const Stmt& st) { return st.col_text(0); }, id, version));
  if (!r) return Error(Errc::kNotFound, "template version not found");
  return d::template_settings_from_json(d::parse_or_empty(*r));
}
base::Result<std::optional<d::Template>> SqliteDirectoryStore::find_template(
    Id customer_id, std::string_view name) {
  auto v = PH_TRY(templates_where("IFNULL(t.customer_id,0)=?1 AND t.name=?2", customer_id, name));
  if (v.empty()) return std::optional<d::Template>();
  return std::optional<d::Template>(v.front());
}
base::Result<int64_t> SqliteDirectoryStore::add_template_version(Id id,
                                                                 const d::TemplateSettings& s) {
  PH_CHECK(exec_bound(db_,
                      "INSERT INTO template_versions (template_id, version, settings, created_at) "
                      "SELECT id, current_version+1, ?, strftime('%s','now') FROM templates "
                      "WHERE id=?",
                      d::to_json(s).dump(), id));
  PH_CHECK(exec_bound(db_,
                      "UPDATE templates SET current_version=current_version+1, "
                      "updated_at=strftime('%s','now') WHERE id=?",
                      id));
  auto t = PH_TRY(get_template(id));
  return t.version;
}
base::Result<std::vector<d::Template>> SqliteDirectoryStore::list_templates(Id customer_id) {
  return templates_where("(t.customer_id IS NULL OR t.customer_id=?1) AND ?2=''", customer_id, "");
}

// ---- delegations

base::Result<Id> SqliteDirectoryStore::insert_delegation(const d::Delegation& x) {
  json verbs = json::array();
  for (auto v : x.verbs) verbs.push_back(d::verb_name(v));
  return insert_bound(db_,
                      "INSERT INTO delegations (customer_id, grantor_principal_id, "
                      "grantee_principal_id, grantee_mailbox_id, verbs, domain_ids, "
                      "template_ids, expires_at, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                      x.customer_id, nz(x.grantor_principal_id), nz(x.grantee_principal_id),
                      nz(x.grantee_mailbox_id), verbs.dump(), ids_json(x.domain_ids),
                      ids_json(x.template_ids), x.expires_at, x.created_at);
}
base::Result<d::Delegation> SqliteDirectoryStore::get_delegation(Id id) {
  return must(select_one<d::Delegation>(db_, sel(kDelegationCols, "FROM delegations WHERE id=?"),
                                        read_delegation, id),
              "delegation");
}
base::Result<std::vector<d::Delegation>> SqliteDirectoryStore::list_delegations(Id customer_id) {
  return select_all<d::Delegation>(
      db_, sel(kDelegationCols, "FROM delegations WHERE customer_id=? ORDER BY id"),
      read_delegation, customer_id);
}
base::Result<std::vector<d::Delegation>> SqliteDirectoryStore::delegations_of(Id principal_id,
                                                                              Id mailbox_id) {
  return select_all<d::Delegation>(
      db_,
      sel(kDelegationCols,
          "FROM delegations WHERE (?1<>0 AND grantee_principal_id=?1) OR "
          "(?2<>0 AND grantee_mailbox_id=?2) ORDER BY id"),
      read_delegation, principal_id, mailbox_id);
}
base::Status SqliteDirectoryStore::delete_delegation(Id id) {
  return exec_bound(db_, "DELETE FROM delegations WHERE id=?", id);
}

// ---- API tokens

base::Result<Id> SqliteDirectoryStore::insert_token(const d::ApiToken& t) {
  return insert_bound(db_,
                      "INSERT INTO api_tokens (owner_principal_id, owner_mailbox_id, name, prefix, "
                      "secret_hash, scope, expires_at, created_at) VALUES (?,?,?,?,?,?,?,?)",
                      nz(t.owner_principal_id), nz(t.owner_mailbox_id), t.name, t.prefix,
                      t.secret_hash, scope_json(t.scope), t.expires_at, t.created_at);
}
base::Result<d::ApiToken> SqliteDirectoryStore::get_token(Id id) {
  return must(select_one<d::ApiToken>(db_, sel(kTokenCols, "FROM api_tokens WHERE id=?"),
                                      read_token, id),
              "token");
}
base::Result<std::optional<d::ApiToken>> SqliteDirectoryStore::find_token_by_hash(
    std::string_view secret_hash) {
  return select_one<d::ApiToken>(db_, sel(kTokenCols, "FROM api_tokens WHERE secret_hash=?"),
                                 read_token, secret_hash);
}
base::Result<std::vector<d::ApiToken>> SqliteDirectoryStore::list_tokens(Id principal_id,
                                                                      Id mailbox_id) {
  return select_all<d::ApiToken>(
      db_,
      sel(kTokenCols,
          "FROM api_tokens WHERE (?1<>0 AND owner_principal_id=?1) OR "
          "(?2<>0 AND owner_mailbox_id=?2) ORDER BY id"),
      read_token, principal_id, mailbox_id);
}
base::Status SqliteDirectoryStore::touch_token(Id id, d::Time at, std::string_view ip) {
  return exec_bound(db_, "UPDATE api_tokens SET last_used_at=?, last_used_ip=? WHERE id=?", at,
                    ip, id);
}
base::Status SqliteDirectoryStore::revoke_token(Id id, d::Time at) {
  return exec_bound(db_,
                    "UPDATE api_tokens SET revoked_at=? WHERE id=? AND revoked_at IS NULL", at, id);
}

// ---- audit

base::Status SqliteDirectoryStore::append_audit(const d::AuditRecord& r) {
  return exec_bound(db_,
                    "INSERT INTO audit (at, actor, actor_kind, token_id, source, ip, verb, "
                    "target, customer_id, domain_id, mailbox_id, before, after) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    r.at, r.actor, r.actor_kind, r.token_id, r.source, r.ip, r.verb, r.target,
                    r.customer_id, r.domain_id, r.mailbox_id, r.before, r.after);
}
base::Result<std::vector<d::AuditRecord>> SqliteDirectoryStore::list_audit(Id customer_id,
                                                                           Id before_id,
                                                                           int limit) {
  return select_all<d::AuditRecord>(
      db_,
      sel(kAuditCols,
          "FROM audit WHERE (?1=0 OR customer_id=?1) AND (?2=0 OR id<?2) "
          "ORDER BY id DESC LIMIT ?3"),
      read_audit, customer_id, before_id, static_cast<int64_t>(limit));
}

}  // namespace posthouse::store::sqlite
