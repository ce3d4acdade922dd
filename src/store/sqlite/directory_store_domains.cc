// SqliteDirectoryStore: domains (soft-deleted, then purged) and domain aliases.
#include "store/sqlite/directory_store.h"
#include "store/sqlite/directory_store_internal.h"

namespace posthouse::store::sqlite {

namespace {

d::Domain read_domain(const Stmt& st) {
  d::Domain x;
  std::string spam;
  Row(st).into(x.id, x.name, x.customer_id, x.status, x.deleted_at, x.limits.max_mailboxes,
               x.limits.max_mailbox_bytes, x.limits.max_total_bytes, x.catchall, spam,
               x.created_at, x.updated_at);
  x.spam = d::spam_policy_from_json(d::parse_or_empty(spam));
  return x;
}
constexpr Records<d::Domain> kDomains{"domains",
                                      "id, name, customer_id, status, deleted_at, max_mailboxes, "
                                      "max_mailbox_bytes, max_total_bytes, catchall, spam_policy, "
                                      "created_at, updated_at",
                                      read_domain, "domain"};
// The columns from status to spam_policy, which an INSERT and an UPDATE both write (a domain
// has no max_domains).
auto domain_values(const d::Domain& x) {
  return std::make_tuple(x.status, x.deleted_at, x.limits.max_mailboxes, x.limits.max_mailbox_bytes,
                         x.limits.max_total_bytes, x.catchall, d::to_json(x.spam).dump());
}

d::DomainAlias read_domain_alias(const Stmt& st) {
  d::DomainAlias a;
  Row(st).into(a.id, a.name, a.domain_id);
  return a;
}
constexpr Records<d::DomainAlias> kDomainAliases{"domain_aliases", "id, name, domain_id",
                                                 read_domain_alias, "domain alias"};

}  // namespace

base::Result<Id> SqliteDirectoryStore::insert_domain(const d::Domain& x) {
  return insert_bound(db_,
                      "INSERT INTO domains (name, customer_id, status, deleted_at, max_mailboxes, "
                      "max_mailbox_bytes, max_total_bytes, catchall, spam_policy, created_at, "
                      "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                      x.name, x.customer_id, domain_values(x), x.created_at, x.updated_at);
}
base::Result<d::Domain> SqliteDirectoryStore::get_domain(Id id) { return kDomains.by_id(db_, id); }
base::Result<std::optional<d::Domain>> SqliteDirectoryStore::find_domain(std::string_view name) {
  return kDomains.one(db_, "WHERE name=?", name);
}
base::Status SqliteDirectoryStore::update_domain(const d::Domain& x) {
  return exec_bound(db_,
                    "UPDATE domains SET status=?, deleted_at=?, max_mailboxes=?, "
                    "max_mailbox_bytes=?, max_total_bytes=?, catchall=?, spam_policy=?, updated_at=? "
                    "WHERE id=?",
                    domain_values(x), x.updated_at, x.id);
}
base::Result<std::vector<d::Domain>> SqliteDirectoryStore::list_domains(Id customer_id) {
  return kDomains.all(db_, "WHERE (?1 = 0 OR customer_id = ?1) ORDER BY name", customer_id);
}
base::Status SqliteDirectoryStore::delete_domain(Id id) {
  // Purge: the domain's mailboxes, aliases, postmaster and manager links go with it.
  PH_CHECK(exec_bound(db_, "DELETE FROM mailboxes WHERE domain_id=?", id));
  return exec_bound(db_, "DELETE FROM domains WHERE id=?", id);
}
base::Result<std::vector<Id>> SqliteDirectoryStore::expired_domains(d::Time before) {
  return ids("SELECT id FROM domains WHERE status='deleted' AND deleted_at < ? ORDER BY id",
             before);
}

// ---- domain aliases

base::Result<Id> SqliteDirectoryStore::insert_domain_alias(const d::DomainAlias& a) {
  return insert_bound(db_,
                      "INSERT INTO domain_aliases (name, domain_id, created_at) "
                      "VALUES (?,?,strftime('%s','now'))",
                      a.name, a.domain_id);
}
base::Result<std::optional<d::DomainAlias>> SqliteDirectoryStore::find_domain_alias(
    std::string_view name) {
  return kDomainAliases.one(db_, "WHERE name=?", name);
}
base::Result<std::vector<d::DomainAlias>> SqliteDirectoryStore::list_domain_aliases(Id domain_id) {
  return kDomainAliases.all(db_, "WHERE domain_id=? ORDER BY name", domain_id);
}
base::Status SqliteDirectoryStore::delete_domain_alias(Id id) {
  return exec_bound(db_, "DELETE FROM domain_aliases WHERE id=?", id);
}

}  // namespace posthouse::store::sqlite
