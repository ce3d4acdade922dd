#include "server/http/http_server.h"

#include <gtest/gtest.h>

namespace posthouse::http {
namespace {

Request make(bhttp::verb v, std::string target) {
  Request r;
  r.raw.method(v);
  r.raw.target(target);
  return r;
}

boost::asio::awaitable<Response> ok(Request&) {
  co_return make_response(bhttp::status::ok, "{}");
}

TEST(Router, MatchesParamsAndMethods) {
  Router router;
  router.add(bhttp::verb::get, "/api/v1/domains/:id", ok);
  router.add(bhttp::verb::get, "/static/*", ok);
  bool exists = false;
  auto r = make(bhttp::verb::get, "/api/v1/domains/example.org?x=1");
  ASSERT_NE(router.match(r, &exists), nullptr);
  EXPECT_EQ(r.params["id"], "example.org");
  auto del = make(bhttp::verb::delete_, "/api/v1/domains/example.org");
  EXPECT_EQ(router.match(del, &exists), nullptr);
  EXPECT_TRUE(exists);  // 405, not 404
  auto deep = make(bhttp::verb::get, "/static/a/b/c.js");
  EXPECT_NE(router.match(deep, &exists), nullptr);
}

TEST(Router, RejectsTraversalAndEncodedSlashesInParams) {
  Router router;
  router.add(bhttp::verb::get, "/api/v1/domains/:id", ok);
  bool exists = false;
  for (const char* bad : {"/api/v1/domains/..", "/api/v1/domains/%2e%2e",
                          "/api/v1/domains/a%2fb", "/api/v1/domains/a%00b",
                          "/api/v1/domains/%zz", "/api/v1/domains/a/b"}) {
    auto r = make(bhttp::verb::get, bad);
    EXPECT_EQ(router.match(r, &exists), nullptr) << bad;
  }
}

TEST(UrlDecode, Cases) {
  std::string out;
  EXPECT_TRUE(url_decode("a%20b+c", out, true));
  EXPECT_EQ(out, "a b c");
  EXPECT_FALSE(url_decode("%2", out, false));
  EXPECT_FALSE(url_decode("%00", out, false));
  EXPECT_TRUE(url_decode("caf%C3%A9", out, false));
  EXPECT_EQ(out, "caf\xC3\xA9");
}

}  // namespace
}  // namespace posthouse::http
