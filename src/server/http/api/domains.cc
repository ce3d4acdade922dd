// /api/v1/domains: domains (created with their postmaster and DKIM key), usage, limits,
// catch-all, postmaster password, domain aliases, DNS records, restorable delete and purge.
#include "base/clock.h"
#include <ctime>

#include "queue/dkim.h"
#include "queue/dns_records.h"
#include "server/http/api/auth.h"
#include "server/http/api/routes.h"

namespace posthouse::http::api {

namespace {

base::Result<Reply> list_domains(Ctx& c) {
  auto items = to_items(PH_TRY(c.dir.list_domains(c.actor, c.query("customer"))));
  return paged(c, with_status(c, std::move(items)));
}

base::Result<Reply> create_domain(Ctx& c) {
  auto* b = PH_TRY(c.body());
  d::DomainSpec s;
  s.name = PH_TRY(b->str("name"));
  s.customer = PH_TRY(b->opt_str("customer")).value_or("");
  s.postmaster_password = PH_TRY(b->opt_str("postmaster_password"));
  s.manager = PH_TRY(b->opt_str("manager")).value_or("");
  s.limits = PH_TRY(read_limits(*b));
  PH_CHECK(b->finish());
  auto dom = PH_TRY(c.dir.create_domain(c.actor, s));
  queue::create_domain_keys(*c.s.dkim_keys, dom.name, c.deps.dkim_selector);
  return created(d::to_json(dom));
}

base::Result<Reply> get_domain(Ctx& c) {
  json j = d::to_json(PH_TRY(c.dir.get_domain(c.actor, c.param("domain"))));
  j["usage"] = d::to_json(PH_TRY(c.dir.domain_usage(c.actor, c.param("domain"))));
  return ok(j);
}

base::Result<Reply> dns_records(Ctx& c) {
  auto dm = PH_TRY(c.dir.get_domain(c.actor, c.param("domain")));
  queue::DkimKeys keys(*c.s.dkim_keys);
  auto k = PH_TRY(keys.ensure(dm.name, c.deps.dkim_selector, base::unix_now()));
  json j = json::array();
  for (const auto& r : queue::domain_dns_records(dm.name, c.deps.hostname, k))
    j.push_back({{"name", r.name}, {"type", r.type}, {"value", r.value}});
  return ok(j);
}

// A domain's limits are those of limit_fields() but max_domains.
base::Result<Reply> set_limits(Ctx& c) {
  auto* b = PH_TRY(c.body());
  d::Limits l;
  l.max_mailboxes = PH_TRY(b->opt_int("max_mailboxes"));
  l.max_mailbox_bytes = PH_TRY(b->opt_int("max_mailbox_bytes"));
  l.max_total_bytes = PH_TRY(b->opt_int("max_total_bytes"));
  PH_CHECK(b->finish());
  return ok(d::to_json(PH_TRY(c.dir.set_domain_limits(c.actor, c.param("domain"), l))));
}

base::Result<Reply> set_catchall(Ctx& c) {
  auto* b = PH_TRY(c.body());
  auto target = PH_TRY(b->opt_str("target"));
  PH_CHECK(b->finish());
  return ok(d::to_json(PH_TRY(c.dir.set_catchall(c.actor, c.param("domain"), target))));
}

base::Result<Reply> set_postmaster_password(Ctx& c) {
  auto pw = PH_TRY(whole_body(c, read_password));
  PH_CHECK(c.dir.set_postmaster_password(c.actor, c.param("domain"), pw));
  auto dom = PH_TRY(c.dir.get_domain(c.actor, c.param("domain")));
  PH_CHECK(end_principal_sessions(c, "postmaster@" + dom.name));
  return no_content();
}

base::Result<Reply> list_domain_aliases(Ctx& c) {
  json items = json::array();
  for (const auto& a : PH_TRY(c.dir.list_domain_aliases(c.actor, c.param("domain"))))
    items.push_back({{"id", a.id}, {"name", a.name}, {"domain_id", a.domain_id}});
  return ok({{"items", items}, {"next_cursor", nullptr}});
}

}  // namespace

std::vector<Entry> domain_routes() {
  return {
      {{V::get,
        "/api/v1/domains",
        "Domains in scope (deleted ones too, with status)",
        true,
        {},
        {"customer", "status", "cursor", "limit"}},
       list_domains},
      {{V::post, "/api/v1/domains", "Create a domain (and its postmaster)", true,
        Fields{{"name", "string"},
               {"customer", "string"},
               {"postmaster_password", "string"},
               {"manager", "string"}} +
            limit_fields()},
       create_domain},
      {{V::get, "/api/v1/domains/:domain", "One domain with its usage"}, get_domain},
      {{V::get, "/api/v1/domains/:domain/dns",
        "The DNS records a domain needs (MX, SPF, DKIM, DMARC, autoconfig SRV)"},
       dns_records},
      {{V::get, "/api/v1/domains/:domain/usage", "A domain's usage"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(d::to_json(PH_TRY(c.dir.domain_usage(c.actor, c.param("domain")))));
       }},
      {{V::put, "/api/v1/domains/:domain/limits", "Set a domain's limits", true,
        Fields{{"max_mailboxes", "integer"},
               {"max_mailbox_bytes", "integer"},
               {"max_total_bytes", "integer"}}},
       set_limits},
      {{V::put,
        "/api/v1/domains/:domain/catchall",
        "Set or clear (null) the catch-all target",
        true,
        {{"target", "string"}}},
       set_catchall},
      {{V::put, "/api/v1/domains/:domain/postmaster-password", "Set the postmaster's password",
        true, password_field()},
       set_postmaster_password},
      {{V::get, "/api/v1/domains/:domain/aliases", "Domain aliases of a domain"},
       list_domain_aliases},
      {{V::put, "/api/v1/domains/:domain/aliases/:alias", "Add a domain alias"},
       [](Ctx& c) -> base::Result<Reply> {
         PH_CHECK(c.dir.add_domain_alias(c.actor, c.param("alias"), c.param("domain")));
         return no_content();
       }},
      {{V::delete_, "/api/v1/domain-aliases/:alias", "Remove a domain alias"},
       status_call(&d::Service::remove_domain_alias, "alias")},
      {{V::delete_, "/api/v1/domains/:domain", "Delete a domain (restorable)"},
       status_call(&d::Service::delete_domain, "domain")},
      {{V::post, "/api/v1/domains/:domain/restore", "Restore a deleted domain"},
       restore_call(&d::Service::restore_domain, &d::Service::get_domain, "domain")},
      {{V::post, "/api/v1/domains/:domain/purge", "Purge a deleted domain for good"},
       status_call(&d::Service::purge_domain, "domain")},
  };
}

}  // namespace posthouse::http::api
