// /api/v1/audit: the audit records in the actor's scope, newest first.
#include "server/http/api/routes.h"

namespace posthouse::http::api {

namespace {

// Filtered by domain in pages of kMaxPage records, so a narrow filter still fills the page;
// the cursor is the id of the last record looked at.
base::Result<Reply> list_audit(Ctx& c) {
  int limit = PH_TRY(page_limit(c));
  int64_t before = PH_TRY(cursor_id(c));
  std::optional<d::Id> dom;
  if (auto dn = c.query("domain"); !dn.empty()) dom = PH_TRY(c.dir.get_domain(c.actor, dn)).id;
  json items = json::array();
  json next = nullptr;
  while (static_cast<int>(items.size()) < limit) {
    auto recs = PH_TRY(c.dir.list_audit(c.actor, kMaxPage, before));
    if (recs.empty()) break;
    for (const auto& r : recs) {
      before = r.id;
      if (dom && r.domain_id != dom) continue;
      items.push_back(d::to_json(r));
      if (static_cast<int>(items.size()) == limit) break;
    }
    if (static_cast<int>(recs.size()) < kMaxPage) {
      if (static_cast<int>(items.size()) == limit && before != recs.back().id)
        next = std::to_string(before);
      break;
    }
    if (static_cast<int>(items.size()) == limit) next = std::to_string(before);
  }
  return ok({{"items", items}, {"next_cursor", next}});
}

}  // namespace

std::vector<Entry> audit_routes() {
  return {
      {{V::get,
        "/api/v1/audit",
        "Audit records in scope, newest first",
        true,
        {},
        {"domain", "cursor", "limit"}},
       list_audit},
  };
}

}  // namespace posthouse::http::api
