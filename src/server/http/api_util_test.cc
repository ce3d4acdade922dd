#include "server/http/api_util.h"

#include <gtest/gtest.h>

namespace posthouse::http {
namespace {

TEST(JsonBody, StrictFields) {
  auto b = JsonBody::parse(R"({"address":"a@b.c","quota":5,"extra":1})");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b->str("address"), "a@b.c");
  EXPECT_EQ(**b->opt_int("quota"), 5);
  auto fin = b->finish();
  ASSERT_FALSE(fin.ok());
  EXPECT_EQ(fin.error().field, "extra");
  EXPECT_EQ(status_for(fin.error().code), bhttp::status::unprocessable_entity);
}

TEST(JsonBody, WrongTypesAndMissing) {
  auto b = JsonBody::parse(R"({"address":7,"list":["a",2]})");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->str("address").error().message, "address must be a string");
  EXPECT_EQ(b->str("missing").error().message, "missing is required");
  EXPECT_FALSE(b->opt_str_list("list").ok());
  EXPECT_FALSE(JsonBody::parse("{not json").ok());
  EXPECT_FALSE(JsonBody::parse("[1,2]").ok());
}

TEST(ErrorResponse, HidesInternalDetail) {
  auto r = error_response(base::Error(base::Errc::kIo, "disk /var/x failed"));
  EXPECT_EQ(r.result(), bhttp::status::internal_server_error);
  EXPECT_EQ(r.body().find("/var/x"), std::string::npos);
  auto nf = error_response(base::Error(base::Errc::kNotFound, "no such domain", "domain"));
  EXPECT_EQ(nf.result(), bhttp::status::not_found);
  EXPECT_NE(nf.body().find("\"field\":\"domain\""), std::string::npos);
}

// Error text can carry peer bytes cut anywhere (a verb name cut at 60 bytes inside a UTF-8
// sequence, a percent-decoded path parameter): the answer stays a 4xx with a JSON body instead
// of nlohmann's dump() throwing into a 500.
TEST(ErrorResponse, InvalidUtf8InTheMessageStillGivesItsStatus) {
  auto r = error_response(base::Error(base::Errc::kInvalid, "unknown verb \xc3", "verbs"));
  EXPECT_EQ(r.result(), bhttp::status::unprocessable_entity);
  auto j = nlohmann::json::parse(r.body(), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.body();
  EXPECT_EQ(j["error"]["message"], "unknown verb \xef\xbf\xbd");
  auto nf = error_response(base::Error(base::Errc::kNotFound, "no mailbox \xff@x", "\xfe"));
  EXPECT_EQ(nf.result(), bhttp::status::not_found);
  EXPECT_FALSE(nlohmann::json::parse(nf.body(), nullptr, false).is_discarded());
}

}  // namespace
}  // namespace posthouse::http
