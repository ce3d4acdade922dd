// SqliteDirectoryStore: mailboxes (soft-deleted, then purged) and address aliases.
#include "store/sqlite/directory_store.h"
#include "store/sqlite/directory_store_internal.h"

namespace posthouse::store::sqlite {

namespace {

d::Mailbox read_mailbox(const Stmt& st) {
  d::Mailbox m;
  Row r(st);
  r.into(m.id, m.address, m.domain_id, m.display_name, m.password_hash, m.quota_bytes);
  m.services = d::services_from_json(d::parse_or_empty(r.text()));
  r.into(m.settings_json, m.status, m.deleted_at, m.deleted_with_domain, m.template_id,
         m.template_version);
  m.forward_to = strings_from(r.text());
  r.into(m.forward_keep_copy, m.last_login_at, m.last_login_protocol, m.created_at, m.updated_at);
  return m;
}
constexpr Records<d::Mailbox> kMailboxes{
    "mailboxes",
    "id, address, domain_id, display_name, password_hash, quota_bytes, services, settings, "
    "status, deleted_at, deleted_with_domain, template_id, template_version, forward_to, "
    "forward_keep_copy, last_login_at, last_login_protocol, created_at, updated_at",
    read_mailbox, "mailbox"};
// The columns from address to last_login_protocol, which an INSERT and an UPDATE both write.
auto mailbox_values(const d::Mailbox& m) {
  return std::make_tuple(m.address, m.domain_id, m.display_name, m.password_hash, m.quota_bytes,
                         d::to_json(m.services).dump(), m.settings_json, m.status, m.deleted_at,
                         m.deleted_with_domain, nz(m.template_id), nz(m.template_version),
                         json_array(m.forward_to), m.forward_keep_copy, m.last_login_at,
                         m.last_login_protocol);
}

d::Alias read_alias(const Stmt& st) {
  d::Alias a;
  Row r(st);
  r.into(a.id, a.address, a.domain_id);
  a.targets = strings_from(r.text());
  return a;
}
constexpr Records<d::Alias> kAliases{"aliases", "id, address, domain_id, targets", read_alias,
                                     "alias"};

}  // namespace

base::Result<Id> SqliteDirectoryStore::insert_mailbox(const d::Mailbox& m) {
  return insert_bound(
      db_,
      "INSERT INTO mailboxes (address, domain_id, display_name, password_hash, quota_bytes, "
      "services, settings, status, deleted_at, deleted_with_domain, template_id, "
      "template_version, forward_to, forward_keep_copy, last_login_at, last_login_protocol, "
      "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      mailbox_values(m), m.created_at, m.updated_at);
}
base::Result<d::Mailbox> SqliteDirectoryStore::get_mailbox(Id id) {
  return kMailboxes.by_id(db_, id);
}
base::Result<std::optional<d::Mailbox>> SqliteDirectoryStore::find_mailbox(
    std::string_view address) {
  return kMailboxes.one(db_, "WHERE address=?", address);
}
base::Status SqliteDirectoryStore::update_mailbox(const d::Mailbox& m) {
  return exec_bound(
      db_,
      "UPDATE mailboxes SET address=?, domain_id=?, display_name=?, password_hash=?, "
      "quota_bytes=?, services=?, settings=?, status=?, deleted_at=?, deleted_with_domain=?, "
      "template_id=?, template_version=?, forward_to=?, forward_keep_copy=?, last_login_at=?, "
      "last_login_protocol=?, updated_at=? WHERE id=?",
      mailbox_values(m), m.updated_at, m.id);
}
base::Result<std::vector<d::Mailbox>> SqliteDirectoryStore::list_mailboxes(Id domain_id) {
  return kMailboxes.all(db_, "WHERE domain_id=? ORDER BY address", domain_id);
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

// ---- aliases

base::Result<Id> SqliteDirectoryStore::insert_alias(const d::Alias& a) {
  return insert_bound(db_,
                      "INSERT INTO aliases (address, domain_id, targets, created_at, updated_at) "
                      "VALUES (?,?,?,strftime('%s','now'),strftime('%s','now'))",
                      a.address, a.domain_id, json_array(a.targets));
}
base::Result<std::optional<d::Alias>> SqliteDirectoryStore::find_alias(std::string_view address) {
  return kAliases.one(db_, "WHERE address=?", address);
}
base::Status SqliteDirectoryStore::update_alias(const d::Alias& a) {
  return exec_bound(db_, "UPDATE aliases SET targets=?, updated_at=strftime('%s','now') WHERE id=?",
                    json_array(a.targets), a.id);
}
base::Result<std::vector<d::Alias>> SqliteDirectoryStore::list_aliases(Id domain_id) {
  return kAliases.all(db_, "WHERE domain_id=? ORDER BY address", domain_id);
}
base::Status SqliteDirectoryStore::delete_alias(Id id) {
  return exec_bound(db_, "DELETE FROM aliases WHERE id=?", id);
}

}  // namespace posthouse::store::sqlite
