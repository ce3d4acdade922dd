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
  return make_response(status, dump_json(body));
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

}  // namespace posthouse::http
