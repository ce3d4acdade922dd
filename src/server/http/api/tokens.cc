// /api/v1/tokens: the acting login's own API tokens (the secret only in the creating answer).
#include "server/http/api/routes.h"

namespace posthouse::http::api {

namespace {

json token_json(const d::ApiToken& t, d::Service& dir, const d::Actor& a) {
  json verbs = json::array();
  for (d::Verb v : t.scope.verbs) verbs.push_back(d::verb_name(v));
  json domains = json::array();
  for (d::Id id : t.scope.domain_ids) {
    auto dom = dir.get_domain(a, id_ref(id));
    domains.push_back(dom.ok() ? json(dom->name) : json(nullptr));  // gone or out of scope now
  }
  return {{"id", t.id},
          {"name", t.name},
          {"prefix", t.prefix},
          {"scope",
           {{"domains", domains},
            {"verbs", verbs},
            {"read_only", t.scope.read_only},
            {"ip_allow", t.scope.ip_allow}}},
          {"created_at", t.created_at},
          {"expires_at", or_null(t.expires_at)},
          {"last_used_at", or_null(t.last_used_at)},
          {"last_used_ip", or_null(t.last_used_ip)},
          {"revoked_at", or_null(t.revoked_at)},
          {"revoked", t.revoked_at.has_value()}};
}

base::Result<Reply> list_tokens(Ctx& c) {
  std::vector<json> items;
  for (const auto& t : PH_TRY(c.dir.list_tokens(c.actor)))
    items.push_back(token_json(t, c.dir, c.actor));
  return paged(c, std::move(items));
}

base::Result<Reply> create_token(Ctx& c) {
  auto* b = PH_TRY(c.body());
  d::TokenSpec s;
  s.name = PH_TRY(b->str("name"));
  s.domains = PH_TRY(str_list(*b, "domains"));
  s.verbs = PH_TRY(read_verbs(PH_TRY(str_list(*b, "verbs"))));
  s.read_only = PH_TRY(b->opt_bool("read_only")).value_or(false);
  s.ip_allow = PH_TRY(str_list(*b, "ip_allow"));
  s.expires_at = PH_TRY(b->opt_int("expires_at"));
  PH_CHECK(b->finish());
  auto nt = PH_TRY(c.dir.create_token(c.actor, s));
  json j = token_json(nt.token, c.dir, c.actor);
  j["secret"] = nt.secret;
  return created(j);
}

}  // namespace

std::vector<Entry> token_routes() {
  return {
      {{V::get,
        "/api/v1/tokens",
        "One's own API tokens (never the secret)",
        true,
        {},
        {"cursor", "limit"}},
       list_tokens},
      {{V::post,
        "/api/v1/tokens",
        "Create an API token; the secret is in this answer only",
        true,
        {{"name", "string"},
         {"domains", "array"},
         {"verbs", "array"},
         {"read_only", "boolean"},
         {"ip_allow", "array"},
         {"expires_at", "integer"}}},
       create_token},
      {{V::delete_, "/api/v1/tokens/:id", "Revoke one of one's own tokens"},
       id_call(&d::Service::revoke_token, "id", "token")},
  };
}

}  // namespace posthouse::http::api
