#include "server/http/api_util.h"

#include <fmt/format.h>

namespace posthouse::http {

using base::Errc;
using base::Error;

bhttp::status status_for(Errc code) {
  switch (code) {
    case Errc::kInvalid: return bhttp::status::unprocessable_entity;
    case Errc::kNotFound: return bhttp::status::not_found;
    case Errc::kConflict: return bhttp::status::conflict;
    case Errc::kForbidden: return bhttp::status::forbidden;
    case Errc::kUnauthenticated: return bhttp::status::unauthorized;
    case Errc::kLimit: return bhttp::status::conflict;
    case Errc::kTooLarge: return bhttp::status::payload_too_large;
    case Errc::kTemporary: return bhttp::status::service_unavailable;
    case Errc::kUnavailable: return bhttp::status::service_unavailable;
    case Errc::kIo:
    case Errc::kInternal: return bhttp::status::internal_server_error;
  }
  return bhttp::status::internal_server_error;
}

Response json_response(bhttp::status status, const nlohmann::json& body) {
  return make_response(status, body.dump());
}

Response error_response(const Error& e) {
  // Internal details stay in the log; the client gets a generic message for 5xx.
  bool internal = e.code == Errc::kInternal || e.code == Errc::kIo;
  // A body that is not a JSON object at all is a bad request (400), not a bad field (422).
  if (e.code == Errc::kInvalid && e.field == "body")
    return json_error(bhttp::status::bad_request, "bad_request", e.message, e.field);
  return json_error(status_for(e.code), base::errc_name(e.code),
                    internal ? "internal error" : e.message, e.field);
}

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

base::Result<std::optional<std::string>> JsonBody::opt_str(const char* key) {
  read_.insert(key);
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return type_error(key, "a string");
  return std::optional<std::string>(it->get<std::string>());
}

base::Result<std::string> JsonBody::str(const char* key) {
  auto v = PH_TRY(opt_str(key));
  if (!v) return Error(Errc::kInvalid, fmt::format("{} is required", key), key);
  return *v;
}

base::Result<std::optional<int64_t>> JsonBody::opt_int(const char* key) {
  read_.insert(key);
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer()) return type_error(key, "an integer");
  return std::optional<int64_t>(it->get<int64_t>());
}

base::Result<std::optional<bool>> JsonBody::opt_bool(const char* key) {
  read_.insert(key);
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return type_error(key, "true or false");
  return std::optional<bool>(it->get<bool>());
}

base::Result<std::optional<std::vector<std::string>>> JsonBody::opt_str_list(const char* key) {
  read_.insert(key);
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return std::optional<std::vector<std::string>>();
  if (!it->is_array()) return type_error(key, "an array of strings");
  std::vector<std::string> out;
  for (const auto& e : *it) {
    if (!e.is_string()) return type_error(key, "an array of strings");
    out.push_back(e.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

base::Result<std::optional<nlohmann::json>> JsonBody::opt_json(const char* key) {
  read_.insert(key);
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return std::optional<nlohmann::json>();
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
