// SqliteDirectoryStore: API tokens (stored hashed, with their scope) and the append-only
// audit log.
#include "store/sqlite/directory_store.h"
#include "store/sqlite/directory_store_internal.h"

namespace posthouse::store::sqlite {

namespace {

std::string scope_json(const d::TokenScope& s) {
  return json{{"domain_ids", s.domain_ids},
              {"verbs", verbs_json(s.verbs)},
              {"read_only", s.read_only},
              {"ip_allow", s.ip_allow}}
      .dump();
}
d::TokenScope scope_from(const std::string& text) {
  auto j = d::parse_or_empty(text);
  d::TokenScope s;
  if (!j.is_object()) return s;
  s.domain_ids = ids_from(j.value("domain_ids", json::array()).dump());
  s.verbs = verbs_from(j.value("verbs", json::array()).dump());
  s.read_only = j.value("read_only", false);
  s.ip_allow = strings_from(j.value("ip_allow", json::array()).dump());
  return s;
}
d::ApiToken read_token(const Stmt& st) {
  d::ApiToken t;
  Row r(st);
  r.into(t.id, t.owner_principal_id, t.owner_mailbox_id, t.name, t.prefix, t.secret_hash);
  t.scope = scope_from(r.text());
  r.into(t.expires_at, t.last_used_at, t.last_used_ip, t.revoked_at, t.created_at);
  return t;
}
constexpr Records<d::ApiToken> kTokens{
    "api_tokens",
    "id, owner_principal_id, owner_mailbox_id, name, prefix, secret_hash, scope, expires_at, "
    "last_used_at, last_used_ip, revoked_at, created_at",
    read_token, "token"};

d::AuditRecord read_audit(const Stmt& st) {
  d::AuditRecord a;
  Row(st).into(a.id, a.at, a.actor, a.actor_kind, a.token_id, a.source, a.ip, a.verb, a.target,
               a.customer_id, a.domain_id, a.mailbox_id, a.before, a.after);
  return a;
}
constexpr Records<d::AuditRecord> kAudit{
    "audit",
    "id, at, actor, actor_kind, token_id, source, ip, verb, target, customer_id, domain_id, "
    "mailbox_id, before, after",
    read_audit, "audit record"};

}  // namespace

// ---- API tokens

base::Result<Id> SqliteDirectoryStore::insert_token(const d::ApiToken& t) {
  return insert_bound(db_,
                      "INSERT INTO api_tokens (owner_principal_id, owner_mailbox_id, name, prefix, "
                      "secret_hash, scope, expires_at, created_at) VALUES (?,?,?,?,?,?,?,?)",
                      nz(t.owner_principal_id), nz(t.owner_mailbox_id), t.name, t.prefix,
                      t.secret_hash, scope_json(t.scope), t.expires_at, t.created_at);
}
base::Result<d::ApiToken> SqliteDirectoryStore::get_token(Id id) { return kTokens.by_id(db_, id); }
base::Result<std::optional<d::ApiToken>> SqliteDirectoryStore::find_token_by_hash(
    std::string_view secret_hash) {
  return kTokens.one(db_, "WHERE secret_hash=?", secret_hash);
}
base::Result<std::vector<d::ApiToken>> SqliteDirectoryStore::list_tokens(Id principal_id,
                                                                         Id mailbox_id) {
  return kTokens.all(db_,
                     "WHERE (?1<>0 AND owner_principal_id=?1) OR "
                     "(?2<>0 AND owner_mailbox_id=?2) ORDER BY id",
                     principal_id, mailbox_id);
}
base::Status SqliteDirectoryStore::touch_token(Id id, d::Time at, std::string_view ip) {
  return exec_bound(db_, "UPDATE api_tokens SET last_used_at=?, last_used_ip=? WHERE id=?", at, ip,
                    id);
}
base::Status SqliteDirectoryStore::revoke_token(Id id, d::Time at) {
  return exec_bound(db_, "UPDATE api_tokens SET revoked_at=? WHERE id=? AND revoked_at IS NULL", at,
                    id);
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
  return kAudit.all(db_,
                    "WHERE (?1=0 OR customer_id=?1) AND (?2=0 OR id<?2) "
                    "ORDER BY id DESC LIMIT ?3",
                    customer_id, before_id, static_cast<int64_t>(limit));
}

}  // namespace posthouse::store::sqlite
