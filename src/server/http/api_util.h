// Helpers every REST handler uses: the one mapping from base::Error to an HTTP answer, and a
// strict JSON body reader (malformed → 400, unknown or mistyped fields → 422 naming the field).
//
// Contract: handlers never build error bodies themselves; they return error_response(err).
// An kInvalid error on field "body" (JsonBody::parse: malformed, not an object) is 400
// bad_request; every other kInvalid is 422.
// Out-of-scope objects are Errc::kNotFound by the time they get here (the directory policy
// guarantees it), so 404 answers are identical for "absent" and "not yours".
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/result.h"
#include "server/http/http_server.h"

namespace posthouse::http {

bhttp::status status_for(base::Errc code);
Response error_response(const base::Error& e);
Response json_response(bhttp::status status, const nlohmann::json& body);

// A parsed JSON object body whose fields are read once each; finish() fails on any field that
// was not read (unknown field → 422), so typos are never silently ignored.
class JsonBody {
 public:
  static base::Result<JsonBody> parse(std::string_view body);  // 400 on malformed / not object

  base::Result<std::string> str(const char* key);  // required
  base::Result<std::optional<std::string>> opt_str(const char* key);
  base::Result<std::optional<int64_t>> opt_int(const char* key);
  base::Result<std::optional<bool>> opt_bool(const char* key);
  base::Result<std::optional<std::vector<std::string>>> opt_str_list(const char* key);
  base::Result<std::optional<nlohmann::json>> opt_json(const char* key);
  base::Status finish() const;
  const nlohmann::json& raw() const { return j_; }

 private:
  nlohmann::json j_;
  std::set<std::string> read_;
};

}  // namespace posthouse::http
