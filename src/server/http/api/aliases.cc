// /api/v1/aliases and /api/v1/forwards: address aliases, and the mailboxes that forward.
#include "server/http/api/routes.h"

namespace posthouse::http::api {

namespace {

json forward_json(const d::Mailbox& m) {
  return {{"id", m.id},
          {"address", m.address},
          {"to", m.forward_to},
          {"keep_copy", m.forward_keep_copy}};
}

// Unlike per_domain(), a list covering exactly one domain (named or the only one in scope)
// answers that domain's error.
base::Result<Reply> list_forwards(Ctx& c) {
  std::vector<json> items;
  auto doms = PH_TRY(domain_refs(c));
  for (const auto& dom : doms) {
    auto ms = c.dir.list_mailboxes(c.actor, dom);
    if (!ms.ok()) {
      if (doms.size() == 1) return std::move(ms).error();
      continue;
    }
    for (const auto& m : *ms)
      if (!m.forward_to.empty()) items.push_back(forward_json(m));
  }
  return paged(c, std::move(items));
}

base::Result<Reply> list_aliases(Ctx& c) {
  auto items = PH_TRY(per_domain(c, [&](const std::string& ref) -> base::Result<std::vector<json>> {
    return to_items(PH_TRY(c.dir.list_aliases(c.actor, ref)));
  }));
  return paged(c, std::move(items));
}

base::Result<Reply> set_alias(Ctx& c) {
  auto* b = PH_TRY(c.body());
  auto targets = PH_TRY(required_str_list(*b, "targets"));
  PH_CHECK(b->finish());
  return ok(d::to_json(PH_TRY(c.dir.set_alias(c.actor, c.param("address"), targets))));
}

}  // namespace

std::vector<Entry> alias_routes() {
  return {
      {{V::get,
        "/api/v1/forwards",
        "Mailboxes that forward, in scope",
        true,
        {},
        {"domain", "cursor", "limit"}},
       list_forwards},
      {{V::get, "/api/v1/aliases", "Aliases in scope", true, {}, {"domain", "cursor", "limit"}},
       list_aliases},
      {{V::put,
        "/api/v1/aliases/:address",
        "Create or replace an alias",
        true,
        {{"targets", "array"}}},
       set_alias},
      {{V::delete_, "/api/v1/aliases/:address", "Delete an alias"},
       status_call(&d::Service::delete_alias, "address")},
  };
}

}  // namespace posthouse::http::api
