// The strict JSON body reader every REST handler uses (request bodies are peer input):
// malformed or non-object bodies and mistyped fields are errors naming the field, unknown
// fields fail finish(). Pure (nlohmann/json only), so tests/fuzz/json_body_fuzz.cc fuzzes it.
//
// Contract: parse() yields Errc::kInvalid with field "body" for malformed JSON or a body that
// is not an object (api_util.h maps that to 400); every other error is kInvalid naming the
// field (422). Error messages are valid UTF-8 whatever the input.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace posthouse::http {

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
  // The field is present with the value null (the opt_ readers treat that as absent; a
  // partial update uses this to tell "clear" from "keep").
  bool is_null(const char* key) const {
    auto it = j_.find(key);
    return it != j_.end() && it->is_null();
  }

 private:
  // Marks key as read; the field's value, or nullptr when it is absent or null.
  const nlohmann::json* field(const char* key);

  nlohmann::json j_;
  std::set<std::string> read_;
};

}  // namespace posthouse::http
