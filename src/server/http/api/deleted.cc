// /api/v1/deleted: the restorable (soft-deleted) domains and mailboxes in scope.
#include "server/http/api/routes.h"

namespace posthouse::http::api {

namespace {

base::Result<Reply> list_deleted(Ctx& c) {
  json doms = json::array(), mbs = json::array();
  std::vector<std::string> refs;
  if (auto dom = c.query("domain"); !dom.empty()) {
    auto dm = PH_TRY(c.dir.get_domain(c.actor, dom));
    if (dm.status == "deleted") doms.push_back(d::to_json(dm));
    refs.push_back(dom);
  } else {
    for (const auto& dm : PH_TRY(c.dir.list_domains(c.actor, ""))) {
      if (dm.status == "deleted") doms.push_back(d::to_json(dm));
      refs.push_back(id_ref(dm.id));
    }
  }
  for (const auto& r : refs) {
    auto ms = c.dir.list_mailboxes(c.actor, r);
    if (!ms.ok()) continue;
    for (const auto& m : *ms)
      if (m.status == "deleted") mbs.push_back(d::to_json(m));
  }
  return ok({{"domains", doms}, {"mailboxes", mbs}});
}

}  // namespace

std::vector<Entry> deleted_routes() {
  return {
      {{V::get,
        "/api/v1/deleted",
        "Deleted (restorable) domains and mailboxes in scope",
        true,
        {},
        {"domain"}},
       list_deleted},
  };
}

}  // namespace posthouse::http::api
