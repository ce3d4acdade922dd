// /api/v1/platform/limits: the platform limits and the whole server's usage (platform admin).
#include "server/http/api/routes.h"

namespace posthouse::http::api {

namespace {

// Platform limits with usage, and which limits usage already exceeds (a lowered limit blocks
// new objects but removes nothing).
json platform_limits_json(const d::PlatformLimits& p) {
  const auto& l = p.limits;
  const auto& u = p.usage;
  json over = json::array();
  if (l.max_domains && u.domains > *l.max_domains) over.push_back("max_domains");
  if (l.max_mailboxes && u.mailboxes > *l.max_mailboxes) over.push_back("max_mailboxes");
  if (l.max_total_bytes && u.bytes > *l.max_total_bytes) over.push_back("max_total_bytes");
  return {{"limits", d::to_json(l)}, {"usage", d::to_json(u)}, {"over", over}};
}

}  // namespace

std::vector<Entry> platform_routes() {
  return {
      {{V::get, "/api/v1/platform/limits", "Platform limits and the whole server's usage"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(platform_limits_json(PH_TRY(c.dir.get_platform_limits(c.actor))));
       }},
      {{V::put, "/api/v1/platform/limits",
        "Set the platform limits (absent or null: unlimited; below usage blocks new objects)", true,
        limit_fields()},
       [](Ctx& c) -> base::Result<Reply> {
         auto l = PH_TRY(whole_body(c, read_limits));
         return ok(platform_limits_json(PH_TRY(c.dir.set_platform_limits(c.actor, l))));
       }},
  };
}

}  // namespace posthouse::http::api
