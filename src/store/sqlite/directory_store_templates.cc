// SqliteDirectoryStore: mailbox templates (every version kept) and delegations.
#include <fmt/format.h>

#include "store/sqlite/directory_store.h"
#include "store/sqlite/directory_store_internal.h"

namespace posthouse::store::sqlite {

namespace {

d::Template read_template(const Stmt& st) {
  d::Template t;
  Row r(st);
  r.into(t.id, t.customer_id, t.name, t.version);
  t.settings = d::template_settings_from_json(d::parse_or_empty(r.text()));
  return t;
}

d::Delegation read_delegation(const Stmt& st) {
  d::Delegation x;
  Row r(st);
  r.into(x.id, x.customer_id, x.grantor_principal_id, x.grantee_principal_id, x.grantee_mailbox_id);
  x.verbs = verbs_from(r.text());
  x.domain_ids = ids_from(r.text());
  x.template_ids = ids_from(r.text());
  r.into(x.expires_at, x.created_at);
  return x;
}
constexpr Records<d::Delegation> kDelegations{
    "delegations",
    "id, customer_id, grantor_principal_id, grantee_principal_id, grantee_mailbox_id, verbs, "
    "domain_ids, template_ids, expires_at, created_at",
    read_delegation, "delegation"};

}  // namespace

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
      read_template, a, b);
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
  return insert_bound(db_,
                      "INSERT INTO delegations (customer_id, grantor_principal_id, "
                      "grantee_principal_id, grantee_mailbox_id, verbs, domain_ids, "
                      "template_ids, expires_at, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                      x.customer_id, nz(x.grantor_principal_id), nz(x.grantee_principal_id),
                      nz(x.grantee_mailbox_id), verbs_json(x.verbs).dump(),
                      json_array(x.domain_ids), json_array(x.template_ids), x.expires_at,
                      x.created_at);
}
base::Result<d::Delegation> SqliteDirectoryStore::get_delegation(Id id) {
  return kDelegations.by_id(db_, id);
}
base::Result<std::vector<d::Delegation>> SqliteDirectoryStore::list_delegations(Id customer_id) {
  return kDelegations.all(db_, "WHERE customer_id=? ORDER BY id", customer_id);
}
base::Result<std::vector<d::Delegation>> SqliteDirectoryStore::delegations_of(Id principal_id,
                                                                              Id mailbox_id) {
  return kDelegations.all(db_,
                          "WHERE (?1<>0 AND grantee_principal_id=?1) OR "
                          "(?2<>0 AND grantee_mailbox_id=?2) ORDER BY id",
                          principal_id, mailbox_id);
}
base::Status SqliteDirectoryStore::delete_delegation(Id id) {
  return exec_bound(db_, "DELETE FROM delegations WHERE id=?", id);
}

}  // namespace posthouse::store::sqlite
