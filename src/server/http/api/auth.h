// How a REST request becomes an Actor and how a handler's Reply becomes a Response (internal to
// src/server/http/api/).
//
// Contract:
// - authenticate(): `Authorization: Bearer <token>` (Service::actor_for_token, at every request)
//   or the `ph_session` cookie (auth::WebSessions); a cookie request with a method other than
//   GET/HEAD must carry the session's CSRF token in X-CSRF-Token (else 403, field X-CSRF-Token).
//   A disabled or deleted login is unauthenticated.
// - wrap(): runs a handler on the BlockingPool with a lent Service and an authenticated Actor;
//   bearer requests go through the login throttle keyed by the client IP (429 when locked).
// - to_response(): every API answer is no-store; a 401 carries WWW-Authenticate.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/http/api/common.h"

namespace posthouse::http::api {

inline constexpr std::string_view kCookie = "ph_session";

int64_t unix_now();

// The ph_session cookie's value, or empty.
std::string cookie_value(const Request& req);
// A Set-Cookie value for ph_session (max_age 0 with an empty value ends it).
std::string set_cookie(const Request& req, const std::string& value, int64_t max_age);

base::Result<d::Actor> authenticate(delivery::Services& s, Request& req, const Deps& deps);

// A changed password ends every cookie session of that login (the caller logs in again).
base::Status end_sessions(Ctx& c, const std::string& kind, d::Id id);
base::Status end_principal_sessions(Ctx& c, const std::string& login);

Response to_response(base::Result<Reply> r);
// A refused 429 with Retry-After for a locked client (login or bearer token guessing).
Response throttled_response(std::chrono::seconds retry_after, std::string_view what);
// Whether auth::throttled_login refused the attempt because the client is locked out.
bool is_lock(const base::Result<Reply>& r);

Handler wrap(const Deps* deps, Fn fn);

}  // namespace posthouse::http::api
