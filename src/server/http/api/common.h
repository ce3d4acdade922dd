// What the REST API's resource files share (internal to src/server/http/api/): the request a
// handler sees (Ctx) and the answer it returns (Reply), the route entry each resource file
// contributes (routes.h), path parameters, pagination, and the body readers used by more than
// one resource.
//
// Contract:
// - A handler (Fn) runs on a BlockingPool thread with an authenticated Actor and a Service lent
//   by the ServicePool (auth.h: wrap). It calls service functions with c.actor, decides no
//   permission, and returns errors as base::Error; the runner maps them (api_util.h).
// - Bodies are read strictly (JsonBody): whole_body(c, read_x) fails on any field read_x does
//   not read (422 naming it); a malformed body is 400.
// - Lists answer {"items": [...], "next_cursor": "…" | null}; ?limit= (1..kMaxPage, default
//   kDefaultPage) and ?cursor= are checked here (422 naming the parameter).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "delivery/service_pool.h"
#include "directory/json.h"
#include "directory/service.h"
#include "server/http/api/api.h"
#include "server/http/http_server.h"
#include "server/http/json_body.h"

namespace posthouse::http::api {

namespace d = posthouse::directory;
using base::Errc;
using base::Error;
using json = nlohmann::json;

constexpr int kDefaultPage = 100;
constexpr int kMaxPage = 1000;

// What a handler returns: a status and a JSON body, plus extra headers (cookies).
struct Reply {
  bhttp::status status = bhttp::status::ok;
  json body = json::object();
  std::vector<std::pair<std::string, std::string>> headers;
};

// One authenticated request as a handler sees it (on a blocking-pool thread).
struct Ctx {
  delivery::Services& s;
  d::Service& dir;
  d::Actor actor;
  Request& req;
  const Deps& deps;
  std::optional<JsonBody> body_;

  const std::string& param(const char* name) const { return req.params.at(name); }
  std::string query(const char* name) const {
    auto it = req.query.find(name);
    return it == req.query.end() ? std::string() : it->second;
  }
  // The request body, parsed at the first call (400 if it is not a JSON object).
  base::Result<JsonBody*> body() {
    if (!body_) body_ = PH_TRY(JsonBody::parse(req.raw.body()));
    return &*body_;
  }
};

using Fn = std::function<base::Result<Reply>(Ctx&)>;
// A route that handles its request itself (login, logout, the OpenAPI document) instead of
// through the authenticated runner; called once when the router is built.
using RawHandler = Handler (*)(const Deps* deps);

// One route: its documentation (also the OpenAPI entry) and exactly one of fn or raw.
struct Entry {
  RouteDoc doc;
  Fn fn;
  RawHandler raw = nullptr;
};

using V = bhttp::verb;
using Fields = std::vector<std::pair<std::string, std::string>>;  // body field → JSON type

Fields operator+(Fields a, const Fields& b);

Reply ok(json body, bhttp::status st = bhttp::status::ok);
Reply created(json body);
Reply no_content();

// "#<id>": how the directory service names an object by id instead of by name.
std::string id_ref(d::Id id);

template <class T>
json or_null(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

// Path parameters that name objects by number; anything else names nothing (404 "<what> not
// found").
base::Result<int64_t> int_param(const Ctx& c, const char* name, std::string_view what);

// ---------------------------------------------------------------- pagination

// Lists are ordered by a stable key (the id); the cursor is the key of the last item returned,
// and the next page starts after it.
base::Result<int> page_limit(const Ctx& c);
base::Result<int64_t> cursor_id(const Ctx& c);
// items: JSON objects with an integer "id", any order; one page ascending by id from ?cursor=.
base::Result<Reply> paged(const Ctx& c, std::vector<json> items);

// items whose "status" is ?status= (all when it is absent): the filter of domains and mailboxes.
std::vector<json> with_status(const Ctx& c, std::vector<json> items);

template <class T>
std::vector<json> to_items(const std::vector<T>& v) {
  std::vector<json> out;
  out.reserve(v.size());
  for (const auto& x : v) out.push_back(d::to_json(x));
  return out;
}

// The items of every domain a list covers: the one named by ?domain= (whose error is the
// answer), else each domain in scope, skipping those the actor sees but may not list.
using DomainLister = std::function<base::Result<std::vector<json>>(const std::string& ref)>;
base::Result<std::vector<json>> per_domain(Ctx& c, const DomainLister& list);
// The domains a list covers: ?domain= as given, else every domain in scope by id_ref.
base::Result<std::vector<std::string>> domain_refs(Ctx& c);

// A route calling one Status-returning service function on a path parameter: 204 on success.
Fn status_call(base::Status (d::Service::*f)(const d::Actor&, std::string_view), const char* param);
// The same for a numeric path parameter (not a number: 404 "<what> not found").
Fn id_call(base::Status (d::Service::*f)(const d::Actor&, d::Id), const char* param,
           const char* what);
// POST …/restore of a soft-deleted object: restore it, then answer it as `get` reads it.
template <class T>
Fn restore_call(base::Status (d::Service::*restore)(const d::Actor&, std::string_view),
                base::Result<T> (d::Service::*get)(const d::Actor&, std::string_view),
                const char* param) {
  return [restore, get, param](Ctx& c) -> base::Result<Reply> {
    PH_CHECK((c.dir.*restore)(c.actor, c.param(param)));
    return ok(d::to_json(PH_TRY((c.dir.*get)(c.actor, c.param(param)))));
  };
}

// ---------------------------------------------------------------- bodies

const Fields& limit_fields();     // max_domains, max_mailboxes, max_mailbox_bytes, max_total_bytes
const Fields& branding_fields();  // sender_name, sender_address, product_name, logo_url, ...
const Fields& password_field();   // password

base::Result<d::Limits> read_limits(JsonBody& b);  // the limit_fields() present (null: unlimited)
base::Result<d::Branding> read_branding(JsonBody& b);  // the branding_fields() present
base::Result<std::string> read_password(JsonBody& b);  // required
// A strict object of booleans over `base` (unknown service names are refused, like unknown
// fields); nullopt when "services" is absent.
base::Result<std::optional<d::Services>> read_services(JsonBody& b, const d::Services& base);
base::Result<std::vector<d::Verb>> read_verbs(const std::vector<std::string>& names);
// A string list field that may be absent (empty), and one that is required.
base::Result<std::vector<std::string>> str_list(JsonBody& b, const char* key);
base::Result<std::vector<std::string>> required_str_list(JsonBody& b, const char* key);

// The whole body as `read` reads it: any field `read` did not read is refused (422).
template <class T>
base::Result<T> whole_body(Ctx& c, base::Result<T> (*read)(JsonBody&)) {
  auto* b = PH_TRY(c.body());
  auto v = PH_TRY(read(*b));
  PH_CHECK(b->finish());
  return v;
}

}  // namespace posthouse::http::api
