// /api/v1/customers: customers, their usage, limits and white-label settings.
#include "server/http/api/routes.h"

namespace posthouse::http::api {

namespace {

base::Result<Reply> create_customer(Ctx& c) {
  auto* b = PH_TRY(c.body());
  d::CustomerSpec s;
  s.name = PH_TRY(b->str("name"));
  s.login = PH_TRY(b->opt_str("login")).value_or("");
  s.password = PH_TRY(b->opt_str("password"));
  s.limits = PH_TRY(read_limits(*b));
  PH_CHECK(b->finish());
  return created(d::to_json(PH_TRY(c.dir.create_customer(c.actor, s))));
}

}  // namespace

std::vector<Entry> customer_routes() {
  return {
      {{V::get, "/api/v1/customers", "Customers in scope", true, {}, {"cursor", "limit"}},
       [](Ctx& c) -> base::Result<Reply> {
         return paged(c, to_items(PH_TRY(c.dir.list_customers(c.actor))));
       }},
      {{V::post, "/api/v1/customers", "Create a customer (platform admin)", true,
        Fields{{"name", "string"}, {"login", "string"}, {"password", "string"}} + limit_fields()},
       create_customer},
      {{V::get, "/api/v1/customers/:customer", "One customer"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(d::to_json(PH_TRY(c.dir.get_customer(c.actor, c.param("customer")))));
       }},
      {{V::get, "/api/v1/customers/:customer/usage", "A customer's usage"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(d::to_json(PH_TRY(c.dir.customer_usage(c.actor, c.param("customer")))));
       }},
      {{V::put, "/api/v1/customers/:customer/limits", "Set a customer's limits", true,
        limit_fields()},
       [](Ctx& c) -> base::Result<Reply> {
         auto l = PH_TRY(whole_body(c, read_limits));
         return ok(d::to_json(PH_TRY(c.dir.set_customer_limits(c.actor, c.param("customer"), l))));
       }},
      {{V::put, "/api/v1/customers/:customer/branding", "Set a customer's white-label settings",
        true, branding_fields()},
       [](Ctx& c) -> base::Result<Reply> {
         auto br = PH_TRY(whole_body(c, read_branding));
         return ok(
             d::to_json(PH_TRY(c.dir.set_customer_branding(c.actor, c.param("customer"), br))));
       }},
  };
}

}  // namespace posthouse::http::api
