#include "server/http/api/api.h"

#include <memory>

#include "server/http/api/auth.h"
#include "server/http/api/routes.h"

namespace posthouse::http::api {

namespace {

const std::vector<Entry>& table() {
  static const std::vector<Entry> t = [] {
    std::vector<Entry> all;
    for (auto part :
         {session_routes, openapi_routes, me_routes, customer_routes, platform_routes,
          manager_routes, domain_routes, mailbox_routes, alias_routes, deleted_routes,
          template_routes, delegation_routes, token_routes, queue_routes, audit_routes,
          spam_routes}) {
      for (auto& e : part()) all.push_back(std::move(e));
    }
    return all;
  }();
  return t;
}

}  // namespace

const std::vector<RouteDoc>& route_docs() {
  static const std::vector<RouteDoc> docs = [] {
    std::vector<RouteDoc> out;
    for (const auto& e : table()) out.push_back(e.doc);
    return out;
  }();
  return docs;
}

void add_api_routes(Router& router, const Deps& deps_in) {
  auto deps = std::make_shared<Deps>(deps_in);
  const Deps* dp = deps.get();
  // The Deps live as long as the handlers that hold them.
  auto keep = [deps](Handler h) { return [deps, h = std::move(h)](Request& r) { return h(r); }; };
  for (const auto& e : table())
    router.add(e.doc.method, e.doc.path, keep(e.raw ? e.raw(dp) : wrap(dp, e.fn)));
}

}  // namespace posthouse::http::api
