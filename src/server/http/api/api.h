// The admin REST API under /api/v1/ (docs/api.md): every directory operation for every role,
// cookie sessions and API tokens, and the OpenAPI document describing exactly these routes.
//
// Contract:
// - Handlers decide no permission: each calls one directory::Service function with the Actor
//   of the request, and the service's policy decides. Errors go through error_response (the
//   one Errc → HTTP mapping), so out-of-scope objects answer 404 like missing ones.
// - Authentication: `Authorization: Bearer <token>` (Service::actor_for_token: the owner's
//   current rights ∩ the token scope, at every request) or the session cookie `ph_session`
//   (auth::WebSessions). Cookie requests with a method other than GET/HEAD must carry the
//   session's CSRF token in `X-CSRF-Token`, else 403 csrf.
// - POST /api/v1/session logs in through the shared LoginThrottle (per IP and per account:
//   delay, then 429 with Retry-After); unknown account and wrong password answer the same.
//   A successful login always issues a fresh session id (a presented one is destroyed).
// - All directory work runs on the BlockingPool with a Service lent by the ServicePool.
// - route_docs() is the single list the router is built from and the OpenAPI document is
//   generated from; openapi_document() never lists a route that add_api_routes() does not add.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auth/throttle.h"
#include "auth/web_sessions.h"
#include "delivery/quarantine.h"
#include "delivery/service_pool.h"
#include "net/blocking_pool.h"
#include "server/http/http_server.h"
#include "store/mail_store.h"

namespace posthouse::http::api {

struct Deps {
  delivery::ServicePool* services = nullptr;
  net::BlockingPool* pool = nullptr;
  std::shared_ptr<auth::LoginThrottle> throttle;
  auth::SessionOptions sessions;
  store::MailStore* mail = nullptr;    // for a mailbox's used bytes (self-service); may be null
  std::string hostname = "localhost";  // the MX named in a domain's DNS records
  std::string dkim_selector = "ph1";
  delivery::Quarantine* quarantine = nullptr;  // held mail (spam.cc); null: no routes answer
};

// One documented operation: method, path pattern (":param" segments), summary, whether it
// needs authentication, and the JSON body fields it accepts (name → JSON Schema type).
struct RouteDoc {
  bhttp::verb method;
  std::string path;
  std::string summary;
  bool auth = true;
  std::vector<std::pair<std::string, std::string>> body = {};  // field → "string", "integer", ...
  std::vector<std::string> query = {};                         // accepted query parameters
};

void add_api_routes(Router& router, const Deps& deps);
const std::vector<RouteDoc>& route_docs();
nlohmann::json openapi_document();

}  // namespace posthouse::http::api
