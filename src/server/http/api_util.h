// Helpers every REST handler uses: the one mapping from base::Error to an HTTP answer, and the
// strict JSON body reader (json_body.h: malformed → 400, unknown or mistyped fields → 422).
//
// Contract: handlers never build error bodies themselves; they return error_response(err).
// An kInvalid error on field "body" (JsonBody::parse: malformed, not an object) is 400
// bad_request; every other kInvalid is 422.
// Out-of-scope objects are Errc::kNotFound by the time they get here (the directory policy
// guarantees it), so 404 answers are identical for "absent" and "not yours".
#pragma once

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "server/http/http_server.h"
#include "server/http/json_body.h"

namespace posthouse::http {

bhttp::status status_for(base::Errc code);
Response error_response(const base::Error& e);
Response json_response(bhttp::status status, const nlohmann::json& body);

}  // namespace posthouse::http
