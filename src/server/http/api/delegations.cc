// /api/v1/delegations: verbs on domains (and allowed templates) delegated to a login.
#include <algorithm>

#include "server/http/api/routes.h"

namespace posthouse::http::api {

namespace {

// A delegation the actor may read, with its grantee's login beside the id (for people).
void add_grantee(Ctx& c, json& j) {
  std::optional<std::string> login;
  if (j.contains("grantee_principal_id")) {
    if (auto p = c.s.dir_store->get_principal(j["grantee_principal_id"].get<d::Id>()))
      login = p->login;
  } else if (j.contains("grantee_mailbox_id")) {
    if (auto m = c.s.dir_store->get_mailbox(j["grantee_mailbox_id"].get<d::Id>()))
      login = m->address;
  }
  j["grantee"] = or_null(login);
}

base::Result<Reply> list_delegations(Ctx& c) {
  auto items = to_items(PH_TRY(c.dir.list_delegations(c.actor, c.query("customer"))));
  for (auto& j : items) add_grantee(c, j);
  if (auto dom = c.query("domain"); !dom.empty()) {
    auto dm = PH_TRY(c.dir.get_domain(c.actor, dom));
    std::erase_if(items, [&](const json& j) {
      const auto& ids = j["domain_ids"];
      return std::find(ids.begin(), ids.end(), json(dm.id)) == ids.end();
    });
  }
  return paged(c, std::move(items));
}

base::Result<Reply> create_delegation(Ctx& c) {
  auto* b = PH_TRY(c.body());
  d::DelegationSpec s;
  s.grantee = PH_TRY(b->str("grantee"));
  s.verbs = PH_TRY(read_verbs(PH_TRY(str_list(*b, "verbs"))));
  s.domains = PH_TRY(str_list(*b, "domains"));
  s.templates = PH_TRY(str_list(*b, "templates"));
  s.expires_at = PH_TRY(b->opt_int("expires_at"));
  PH_CHECK(b->finish());
  json j = d::to_json(PH_TRY(c.dir.create_delegation(c.actor, s)));
  add_grantee(c, j);
  return created(j);
}

}  // namespace

std::vector<Entry> delegation_routes() {
  return {
      {{V::get,
        "/api/v1/delegations",
        "Delegations in scope",
        true,
        {},
        {"customer", "domain", "cursor", "limit"}},
       list_delegations},
      {{V::post,
        "/api/v1/delegations",
        "Delegate verbs on domains to a login",
        true,
        {{"grantee", "string"},
         {"verbs", "array"},
         {"domains", "array"},
         {"templates", "array"},
         {"expires_at", "integer"}}},
       create_delegation},
      {{V::delete_, "/api/v1/delegations/:id", "Delete a delegation"},
       id_call(&d::Service::delete_delegation, "id", "delegation")},
  };
}

}  // namespace posthouse::http::api
