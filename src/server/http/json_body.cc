#include "server/http/json_body.h"

#include <fmt/format.h>

namespace posthouse::http {

using base::Errc;
using base::Error;

base::Result<JsonBody> JsonBody::parse(std::string_view body) {
  JsonBody b;
  b.j_ = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (b.j_.is_discarded()) return Error(Errc::kInvalid, "malformed JSON body", "body");
  if (!b.j_.is_object()) return Error(Errc::kInvalid, "the body must be a JSON object", "body");
  return b;
}

namespace {
Error type_error(const char* key, const char* want) {
  return Error(Errc::kInvalid, fmt::format("{} must be {}", key, want), key);
}
}  // namespace

const nlohmann::json* JsonBody::field(const char* key) {
  read_.insert(key);
  auto it = j_.find(key);
  return it == j_.end() || it->is_null() ? nullptr : &*it;
}

base::Result<std::optional<std::string>> JsonBody::opt_str(const char* key) {
  const auto* it = field(key);
  if (!it) return std::optional<std::string>();
  if (!it->is_string()) return type_error(key, "a string");
  return std::optional<std::string>(it->get<std::string>());
}

base::Result<std::string> JsonBody::str(const char* key) {
  auto v = PH_TRY(opt_str(key));
  if (!v) return Error(Errc::kInvalid, fmt::format("{} is required", key), key);
  return *v;
}

base::Result<std::optional<int64_t>> JsonBody::opt_int(const char* key) {
  const auto* it = field(key);
  if (!it) return std::optional<int64_t>();
  if (!it->is_number_integer()) return type_error(key, "an integer");
  return std::optional<int64_t>(it->get<int64_t>());
}

base::Result<std::optional<bool>> JsonBody::opt_bool(const char* key) {
  const auto* it = field(key);
  if (!it) return std::optional<bool>();
  if (!it->is_boolean()) return type_error(key, "true or false");
  return std::optional<bool>(it->get<bool>());
}

base::Result<std::optional<std::vector<std::string>>> JsonBody::opt_str_list(const char* key) {
  const auto* it = field(key);
  if (!it) return std::optional<std::vector<std::string>>();
  if (!it->is_array()) return type_error(key, "an array of strings");
  std::vector<std::string> out;
  for (const auto& e : *it) {
    if (!e.is_string()) return type_error(key, "an array of strings");
    out.push_back(e.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

base::Result<std::optional<nlohmann::json>> JsonBody::opt_json(const char* key) {
  const auto* it = field(key);
  if (!it) return std::optional<nlohmann::json>();
  return std::optional<nlohmann::json>(*it);
}

base::Status JsonBody::finish() const {
  for (auto it = j_.begin(); it != j_.end(); ++it) {
    if (!read_.count(it.key())) {
      return Error(Errc::kInvalid, fmt::format("unknown field {}", it.key()), it.key());
    }
  }
  return {};
}

}  // namespace posthouse::http
