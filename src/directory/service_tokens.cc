// directory::Service: API tokens (create, list, revoke) and the actor behind a token.
#include <fmt/format.h>

#include <algorithm>

#include "auth/cidr.h"
#include "auth/web_sessions.h"
#include "base/ids.h"
#include "base/strings.h"
#include "directory/address.h"
#include "directory/service.h"
#include "directory/service_internal.h"

namespace posthouse::directory {

using base::Errc;
using base::Error;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxTokenName = 100;
constexpr std::size_t kMaxTokensPerOwner = 100;
constexpr std::size_t kMaxIpAllow = 32;
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

}  // namespace

// ---------------------------------------------------------------- tokens

base::Result<NewToken> Service::create_token(const Actor& a, const TokenSpec& s) {
  if (!a.active) return Error(Errc::kUnauthenticated, "not logged in");
  if (a.principal_id == 0 && a.mailbox_id == 0)
    return Error(Errc::kInvalid, "API tokens belong to a login; use --as LOGIN", "owner");
  PH_CHECK(authorize(a, Verb::kTokenCreate, Target::own_token(), "token"));
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
    if (!contains(t.scope.domain_ids, d.id)) {
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
    return audit(a, Verb::kTokenCreate, fmt::format("token:#{}", t.id), a.customer_id, a.domain_id,
                 a.mailbox_id, json::object(), after);
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
  PH_CHECK(authorize(a, Verb::kTokenRevoke, Target::own_token(id), "token"));
  if (t->revoked_at) return {};
  return store_.in_transaction([&]() -> base::Status {
    PH_CHECK(store_.revoke_token(id, now()));
    return audit(a, Verb::kTokenRevoke, fmt::format("token:#{}", id), a.customer_id, a.domain_id,
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
  // The owner must still be allowed tokens (a mailbox whose tokens service was switched off).
  if (!policy_.allows(*a, Verb::kTokenCreate, Target::own_token())) return bad_token();
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

}  // namespace posthouse::directory
