#include "server/http/api/api.h"

#include <gtest/gtest.h>

#include <set>

#include "server/http/api_util.h"

namespace posthouse::http::api {
namespace {

std::string openapi_path(const std::string& pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == ':') {
      size_t end = pattern.find('/', i);
      if (end == std::string::npos) end = pattern.size();
      out += "{" + pattern.substr(i + 1, end - i - 1) + "}";
      i = end - 1;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(ApiRoutes, EveryRouteIsDocumentedAndEveryDocumentedRouteExists) {
  Router router;
  add_api_routes(router, Deps{});
  std::set<std::pair<std::string, std::string>> routed, documented;
  for (const auto& [m, p] : router.routes())
    routed.insert({lower(std::string(bhttp::to_string(m))), openapi_path(p)});
  auto doc = openapi_document();
  EXPECT_EQ(doc["openapi"], "3.1.0");
  for (auto it = doc["paths"].begin(); it != doc["paths"].end(); ++it)
    for (auto op = it.value().begin(); op != it.value().end(); ++op)
      documented.insert({op.key(), it.key()});
  EXPECT_EQ(routed, documented);
  EXPECT_GT(routed.size(), 50u);
  // Every path parameter is declared, and every body forbids unknown fields.
  for (auto it = doc["paths"].begin(); it != doc["paths"].end(); ++it) {
    for (auto op = it.value().begin(); op != it.value().end(); ++op) {
      size_t braces = std::count(it.key().begin(), it.key().end(), '{');
      size_t declared = 0;
      for (const auto& p : op.value()["parameters"]) declared += p["in"] == "path";
      EXPECT_EQ(braces, declared) << it.key();
      if (op.value().contains("requestBody")) {
        EXPECT_EQ(op.value()["requestBody"]["content"]["application/json"]["schema"]
                            ["additionalProperties"],
                  false)
            << it.key();
      }
    }
  }
}

TEST(ApiRoutes, RoutesMatchWithParameters) {
  Router router;
  add_api_routes(router, Deps{});
  bool exists = false;
  Request req;
  req.raw.method(bhttp::verb::get);
  req.raw.target("/api/v1/mailboxes/alice@a.example");
  ASSERT_NE(router.match(req, &exists), nullptr);
  EXPECT_EQ(req.params["address"], "alice@a.example");
  req.raw.method(bhttp::verb::post);
  EXPECT_EQ(router.match(req, &exists), nullptr);
  EXPECT_TRUE(exists);  // 405, not 404
  // An encoded slash never makes a parameter reach another route.
  req.raw.method(bhttp::verb::get);
  req.raw.target("/api/v1/mailboxes/..%2Fcustomers%2Facme");
  EXPECT_EQ(router.match(req, &exists), nullptr);
}

TEST(ApiErrors, MalformedBodyIs400AndBadFieldIs422) {
  auto bad = JsonBody::parse("{not json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(error_response(bad.error()).result(), bhttp::status::bad_request);
  auto arr = JsonBody::parse("[1]");
  ASSERT_FALSE(arr.ok());
  EXPECT_EQ(error_response(arr.error()).result(), bhttp::status::bad_request);
  auto b = JsonBody::parse(R"({"name":1})");
  ASSERT_TRUE(b.ok());
  auto name = b->str("name");
  ASSERT_FALSE(name.ok());
  auto res = error_response(name.error());
  EXPECT_EQ(res.result(), bhttp::status::unprocessable_entity);
  EXPECT_NE(res.body().find("\"field\":\"name\""), std::string::npos);
}

}  // namespace
}  // namespace posthouse::http::api
