// /api/v1/managers: a customer's managers (scoped or full), their domains, limits, branding and
// passwords.
#include "server/http/api/auth.h"
#include "server/http/api/routes.h"

namespace posthouse::http::api {

namespace {

// A manager with its domains' names beside their ids, for people: a name only where the viewer
// may read that domain (else null), so nothing outside the viewer's scope is revealed.
json manager_json(Ctx& c, const d::Principal& p) {
  json j = d::to_json(p);
  json doms = json::array();
  for (d::Id id : p.domain_ids) {
    auto dom = c.dir.get_domain(c.actor, id_ref(id));
    doms.push_back({{"id", id}, {"name", dom.ok() ? json(dom->name) : json(nullptr)}});
  }
  j["domains"] = doms;
  return j;
}

base::Result<Reply> list_managers(Ctx& c) {
  std::vector<json> items;
  for (const auto& p : PH_TRY(c.dir.list_managers(c.actor, c.query("customer"))))
    items.push_back(manager_json(c, p));
  return paged(c, std::move(items));
}

base::Result<Reply> create_manager(Ctx& c) {
  auto* b = PH_TRY(c.body());
  d::ManagerSpec s;
  s.customer = PH_TRY(b->opt_str("customer")).value_or("");
  s.login = PH_TRY(b->str("login"));
  s.display_name = PH_TRY(b->opt_str("display_name")).value_or("");
  auto kind = PH_TRY(b->opt_str("kind")).value_or("scoped");
  if (kind != "scoped" && kind != "full")
    return Error(Errc::kInvalid, "kind must be scoped or full", "kind");
  s.kind = kind == "full" ? d::ManagerKind::kFull : d::ManagerKind::kScoped;
  s.domains = PH_TRY(str_list(*b, "domains"));
  s.password = PH_TRY(b->opt_str("password"));
  s.limits = PH_TRY(read_limits(*b));
  PH_CHECK(b->finish());
  return created(manager_json(c, PH_TRY(c.dir.create_manager(c.actor, s))));
}

base::Result<Reply> set_domains(Ctx& c) {
  auto* b = PH_TRY(c.body());
  auto doms = PH_TRY(required_str_list(*b, "domains"));
  PH_CHECK(b->finish());
  return ok(manager_json(c, PH_TRY(c.dir.set_manager_domains(c.actor, c.param("login"), doms))));
}

}  // namespace

std::vector<Entry> manager_routes() {
  return {
      {{V::get,
        "/api/v1/managers",
        "Managers of a customer",
        true,
        {},
        {"customer", "cursor", "limit"}},
       list_managers},
      {{V::post, "/api/v1/managers", "Create a manager (scoped or full)", true,
        Fields{{"customer", "string"},
               {"login", "string"},
               {"display_name", "string"},
               {"kind", "string"},
               {"domains", "array"},
               {"password", "string"}} +
            limit_fields()},
       create_manager},
      {{V::get, "/api/v1/managers/:login", "One manager"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(manager_json(c, PH_TRY(c.dir.get_manager(c.actor, c.param("login")))));
       }},
      {{V::put,
        "/api/v1/managers/:login/domains",
        "Set a scoped manager's domains",
        true,
        {{"domains", "array"}}},
       set_domains},
      {{V::put, "/api/v1/managers/:login/limits", "Set a manager's limits", true, limit_fields()},
       [](Ctx& c) -> base::Result<Reply> {
         auto l = PH_TRY(whole_body(c, read_limits));
         return ok(manager_json(c, PH_TRY(c.dir.set_manager_limits(c.actor, c.param("login"), l))));
       }},
      {{V::put, "/api/v1/managers/:login/branding", "Set a manager's white-label settings", true,
        branding_fields()},
       [](Ctx& c) -> base::Result<Reply> {
         auto br = PH_TRY(whole_body(c, read_branding));
         return ok(
             manager_json(c, PH_TRY(c.dir.set_manager_branding(c.actor, c.param("login"), br))));
       }},
      {{V::put, "/api/v1/managers/:login/password", "Set a manager's (or any login's) password",
        true, password_field()},
       [](Ctx& c) -> base::Result<Reply> {
         auto pw = PH_TRY(whole_body(c, read_password));
         PH_CHECK(c.dir.set_principal_password(c.actor, c.param("login"), pw));
         PH_CHECK(end_principal_sessions(c, c.param("login")));
         return no_content();
       }},
      {{V::delete_, "/api/v1/managers/:login", "Delete a manager"},
       status_call(&d::Service::delete_manager, "login")},
  };
}

}  // namespace posthouse::http::api
