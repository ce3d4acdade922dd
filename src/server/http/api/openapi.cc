// /api/v1/openapi.json: the OpenAPI 3.1 document generated from route_docs().
#include <algorithm>
#include <memory>

#include "server/http/api/auth.h"
#include "server/http/api/routes.h"

namespace posthouse::http::api {

namespace {

json schema_for(const std::string& type) {
  if (type == "array") return {{"type", "array"}, {"items", {{"type", "string"}}}};
  return {{"type", type}};
}

// ":name" segments become "{name}"; each is declared as a path parameter in `params`.
std::string openapi_path(std::string_view rest, json& params) {
  std::string p;
  while (!rest.empty()) {
    rest.remove_prefix(1);
    auto slash = rest.find('/');
    auto seg = rest.substr(0, slash);
    if (!seg.empty() && seg[0] == ':') {
      std::string name(seg.substr(1));
      p += "/{" + name + "}";
      params.push_back(
          {{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    } else {
      p += "/" + std::string(seg);
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash);
  }
  return p;
}

json operation(const RouteDoc& r, const std::string& method, json params) {
  for (const auto& q : r.query)
    params.push_back(
        {{"name", q}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}}}});
  json op = {
      {"summary", r.summary},
      {"operationId", method + std::string(r.path)},
      {"parameters", params},
      {"responses",
       {{"2XX", {{"description", "success"}}},
        {"default",
         {{"description", "error"},
          {"content",
           {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}}}}}};
  if (!r.auth) op["security"] = json::array();
  if (!r.body.empty()) {
    json props = json::object();
    for (const auto& [k, t] : r.body) props[k] = schema_for(t);
    op["requestBody"] = {
        {"required", true},
        {"content",
         {{"application/json",
           {{"schema",
             {{"type", "object"}, {"properties", props}, {"additionalProperties", false}}}}}}}};
  }
  return op;
}

json components() {
  return {{"securitySchemes",
           {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
            {"session", {{"type", "apiKey"}, {"in", "cookie"}, {"name", std::string(kCookie)}}}}},
          {"schemas",
           {{"Error",
             {{"type", "object"},
              {"required", {"error"}},
              {"properties",
               {{"error",
                 {{"type", "object"},
                  {"properties",
                   {{"code", {{"type", "string"}}},
                    {"message", {{"type", "string"}}},
                    {"field", {{"type", "string"}}}}}}}}}}}}}};
}

// The document is built once per router, after the whole table exists.
Handler openapi_handler(const Deps*) {
  auto doc = std::make_shared<std::string>(openapi_document().dump());
  return [doc](Request&) -> boost::asio::awaitable<Response> {
    co_return make_response(bhttp::status::ok, *doc);
  };
}

}  // namespace

json openapi_document() {
  json paths = json::object();
  for (const auto& r : route_docs()) {
    json params = json::array();
    std::string p = openapi_path(r.path, params);
    std::string method(bhttp::to_string(r.method));
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    paths[p][method] = operation(r, method, std::move(params));
  }
  return {{"openapi", "3.1.0"},
          {"info", {{"title", "Posthouse admin API"}, {"version", POSTHOUSE_VERSION}}},
          {"servers", json::array({{{"url", "/"}}})},
          {"paths", paths},
          {"security", json::array({{{"bearer", json::array()}}, {{"session", json::array()}}})},
          {"components", components()}};
}

std::vector<Entry> openapi_routes() {
  return {{{V::get, "/api/v1/openapi.json", "This OpenAPI document", false, {}, {}},
           nullptr,
           openapi_handler}};
}

}  // namespace posthouse::http::api
