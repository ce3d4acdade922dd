// directory::Service: API tokens, the mailbox autoresponder and template versions.
#include <fmt/format.h>

#include <algorithm>

#include "auth/cidr.h"
#include "auth/web_sessions.h"
#include "base/ids.h"
#include "base/strings.h"
#include "directory/address.h"
#include "directory/json.h"
#include "directory/service.h"

namespace posthouse::directory {

using base::Errc;
using base::Error;
using nlohmann::json;
using K = Target::Kind;

namespace {

constexpr std::size_t kMaxTokenName = 100;
constexpr std::size_t kMaxTokensPerOwner = 100;
constexpr std::size_t kMaxIpAllow = 32;
constexpr std::size_t kMaxSubject = 200;
constexpr std::size_t kMaxBody = 16 * 1024;
constexpr std::string_view kTokenPrefix = "pht_";
constexpr Time kTokenTouchInterval = 60;  // seconds between "last used" writes

Error bad_token() { return Error(Errc::kUnauthenticated, "invalid or expired token"); }
Error token_not_found(Id id) {
  return Error(Errc::kNotFound, fmt::format("token #{} not found", id));
}

// The token's scope as shown to its owner (domain names, not ids).
json scope_json(const TokenScope& s, const std::vector<std::string>& domains) {
  json verbs = json::array();
  for (Verb v : s.verbs) verbs.push_back(verb_name(v));
  return {
      {"domains", domains}, {"verbs", verbs}, {"read_only", s.read_only}, {"ip_allow", s.ip_allow}};
}

// Body text may hold line breaks; nothing else below 0x20.
base::Status check_body(std::string_view s) {
  if (s.size() > kMaxBody)
    return Error(Errc::kInvalid, fmt::format("body is longer than {} bytes", kMaxBody), "body");
  std::string flat(s);
  std::replace_if(
      flat.begin(), flat.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
  return check_text(flat, kMaxBody, "body");
}

}  // namespace

// ---------------------------------------------------------------- tokens

base::Result<NewToken> Service::create_token(const Actor& a, const TokenSpec& s) {
  if (!a.active) return Error(Errc::kUnauthenticated, "not logged in");
  if (a.principal_id == 0 && a.mailbox_id == 0)
    return Error(Errc::kInvalid, "API tokens belong to a login; use --as LOGIN", "owner");
  if (a.token_id) return Error(Errc::kForbidden, "not allowed: a token cannot create tokens");
  if (a.role == Role::kUser && !a.tokens_allowed)
    return Error(Errc::kForbidden, "not allowed: API tokens are not enabled for this mailbox");
  PH_CHECK(check_text(s.name, kMaxTokenName, "name"));
  if (base::trim(s.name).empty()) return Error(Errc::kInvalid, "name is required", "name");
  if (s.expires_at && *s.expires_at <= now())
    return Error(Errc::kInvalid, "expiry is in the past", "expires_at");
  if (s.ip_allow.size() > kMaxIpAllow)
    return Error(Errc::kInvalid, fmt::format("at most {} ip_allow entries", kMaxIpAllow),
                 "ip_allow");
  for (const auto& c : s.ip_allow) {
    if (!auth::valid_cidr(c))
      return Error(Errc::kInvalid,
                   fmt::format("ip_allow: '{}' is not an address or CIDR block",
                               c.size() > 50 ? c.substr(0, 50) : c),
                   "ip_allow");
  }
  ApiToken t;
  t.owner_principal_id = a.principal_id;
  t.owner_mailbox_id = a.principal_id ? 0 : a.mailbox_id;
  t.name = std::string(base::trim(s.name));
  t.scope.verbs = s.verbs;
  t.scope.read_only = s.read_only;
  t.scope.ip_allow = s.ip_allow;
  t.expires_at = s.expires_at;
  t.created_at = now();
  std::vector<std::string> names;
  // A token can only be narrowed to domains its owner can see now (no escalation, and no
  // probing: an invisible domain answers like a missing one).
  for (const auto& ref : s.domains) {
    auto d = PH_TRY(load_domain(a, ref, Verb::kDomainRead));
    if (std::find(t.scope.domain_ids.begin(), t.scope.domain_ids.end(), d.id) ==
        t.scope.domain_ids.end()) {
      t.scope.domain_ids.push_back(d.id);
      names.push_back(d.name);
    }
  }
  NewToken out;
  out.secret = std::string(kTokenPrefix) + base::random_token(32);
  t.prefix = out.secret.substr(0, kTokenPrefix.size() + 6);
  t.secret_hash = auth::sha256_hex(out.secret);
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    auto existing = PH_TRY(store_.list_tokens(t.owner_principal_id, t.owner_mailbox_id));
    auto live = std::count_if(existing.begin(), existing.end(),
                              [](const ApiToken& x) { return !x.revoked_at; });
    if (static_cast<std::size_t>(live) >= kMaxTokensPerOwner)
      return Error(Errc::kLimit, fmt::format("at most {} active tokens", kMaxTokensPerOwner));
    t.id = PH_TRY(store_.insert_token(t));
    json after = {{"name", t.name}, {"prefix", t.prefix}, {"scope", scope_json(t.scope, names)}};
    if (t.expires_at) after["expires_at"] = *t.expires_at;
    return audit_custom(a, "token.create", fmt::format("token:#{}", t.id), a.customer_id,
                        a.domain_id, a.mailbox_id, json::object(), after);
  }));
  out.token = t;
  return out;
}

base::Result<std::vector<ApiToken>> Service::list_tokens(const Actor& a) {
  if (!a.active) return Error(Errc::kUnauthenticated, "not logged in");
  if (a.principal_id == 0 && a.mailbox_id == 0) return std::vector<ApiToken>{};
  return store_.list_tokens(a.principal_id, a.principal_id ? 0 : a.mailbox_id);
}

base::Status Service::revoke_token(const Actor& a, Id id) {
  if (!a.active) return Error(Errc::kUnauthenticated, "not logged in");
  auto t = store_.get_token(id);
  if (!t.ok()) return t.error().code == Errc::kNotFound ? token_not_found(id) : t.error();
  bool own = (a.principal_id && t->owner_principal_id == a.principal_id) ||
             (!a.principal_id && a.mailbox_id && t->owner_mailbox_id == a.mailbox_id);
  if (!own) return token_not_found(id);  // another's token answers like a missing one
  if (a.token_scope && a.token_scope->read_only)
    return Error(Errc::kForbidden, "not allowed: token.revoke");
  if (t->revoked_at) return {};
  return store_.in_transaction([&]() -> base::Status {
    PH_CHECK(store_.revoke_token(id, now()));
    return audit_custom(a, "token.revoke", fmt::format("token:#{}", id), a.customer_id, a.domain_id,
                        a.mailbox_id, {{"name", t->name}, {"revoked", false}},
                        {{"name", t->name}, {"revoked", true}});
  });
}

base::Result<Actor> Service::actor_for_token(std::string_view secret, std::string_view ip) {
  if (secret.size() < kTokenPrefix.size() || secret.size() > 200 ||
      secret.substr(0, kTokenPrefix.size()) != kTokenPrefix)
    return bad_token();
  auto t = PH_TRY(store_.find_token_by_hash(auth::sha256_hex(secret)));
  if (!t || t->revoked_at || (t->expires_at && *t->expires_at <= now())) return bad_token();
  if (!t->scope.ip_allow.empty() &&
      std::none_of(t->scope.ip_allow.begin(), t->scope.ip_allow.end(),
                   [&](const std::string& c) { return auth::ip_in_cidr(ip, c); }))
    return bad_token();
  // The owner's rights as they are now: a demoted, disabled or deleted owner is felt at once.
  std::string login;
  if (t->owner_principal_id) {
    auto p = store_.get_principal(t->owner_principal_id);
    if (!p.ok()) return bad_token();
    login = p->login;
  } else {
    auto m = store_.get_mailbox(t->owner_mailbox_id);
    if (!m.ok()) return bad_token();
    login = m->address;
  }
  auto a = actor_for(login);
  if (!a.ok() || !a->active) return bad_token();
  if (a->role == Role::kUser && !a->tokens_allowed) return bad_token();
  a->token_id = t->id;
  a->token_scope = t->scope;
  a->source = "api";
  a->ip = std::string(ip);
  // "Last used" is shown to a minute's precision: rewriting it on every request would turn
  // each API read into a write transaction.
  const Time at = now();
  if (!t->last_used_at || at - *t->last_used_at >= kTokenTouchInterval ||
      t->last_used_ip.value_or("") != ip)
    PH_CHECK(store_.touch_token(t->id, at, ip));
  return a;
}

// ---------------------------------------------------------------- autoresponder

base::Result<Autoresponder> Service::get_autoresponder(const Actor& a, std::string_view ref) {
  auto m = PH_TRY(get_mailbox(a, ref));
  auto j = parse_or_empty(m.settings_json);
  Autoresponder r;
  if (!j.is_object() || !j.contains("autoresponder") || !j["autoresponder"].is_object()) return r;
  const auto& x = j["autoresponder"];
  r.enabled = x.value("enabled", false);
  r.subject = x.value("subject", std::string());
  r.body = x.value("body", std::string());
  if (x.contains("start") && x["start"].is_number_integer()) r.start = x["start"].get<Time>();
  if (x.contains("end") && x["end"].is_number_integer()) r.end = x["end"].get<Time>();
  return r;
}

base::Result<Autoresponder> Service::set_autoresponder(const Actor& a, std::string_view ref,
                                                       const Autoresponder& r) {
  // The subject becomes a header of the reply: no CR/LF (check_text refuses controls).
  PH_CHECK(check_text(r.subject, kMaxSubject, "subject"));
  PH_CHECK(check_body(r.body));
  if (r.start && r.end && *r.end <= *r.start)
    return Error(Errc::kInvalid, "end must be after start", "end");
  Autoresponder out = r;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    auto m = PH_TRY(load_mailbox(a, ref, Verb::kAutoresponderEdit));
    if (!m.services.autoresponder)
      return Error(Errc::kForbidden,
                   "not allowed: the autoresponder is not enabled for " + m.address);
    auto j = parse_or_empty(m.settings_json);
    if (!j.is_object()) j = json::object();
    json before = j.value("autoresponder", json::object());
    json after = {{"enabled", r.enabled}, {"subject", r.subject}, {"body", r.body}};
    if (r.start) after["start"] = *r.start;
    if (r.end) after["end"] = *r.end;
    j["autoresponder"] = after;
    m.settings_json = j.dump();
    m.updated_at = now();
    PH_CHECK(store_.update_mailbox(m));
    auto d = PH_TRY(store_.get_domain(m.domain_id));
    return audit(a, Verb::kAutoresponderEdit, "mailbox:" + m.address, d.customer_id, d.id, m.id,
                 before, after);
  }));
  return out;
}

// ---------------------------------------------------------------- template versions

base::Result<TemplateSettings> Service::get_template_version(const Actor& a,
                                                             std::string_view customer,
                                                             std::string_view name,
                                                             int64_t version) {
  for (const auto& t : PH_TRY(list_templates(a, customer))) {
    if (t.name != name) continue;
    if (version < 1 || version > t.version)
      return Error(Errc::kNotFound,
                   fmt::format("template '{}' version {} not found", name, version));
    return store_.get_template_version(t.id, version);
  }
  return Error(Errc::kNotFound, fmt::format("template '{}' not found", name));
}

}  // namespace posthouse::directory
