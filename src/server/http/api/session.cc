// /api/v1/session: log in (a fresh cookie session) and log out.
#include <optional>

#include "auth/login.h"
#include "server/http/api/auth.h"
#include "server/http/api/routes.h"

namespace posthouse::http::api {

namespace {

struct Credentials {
  std::string address;
  std::string password;
};

base::Result<Credentials> read_credentials(const Request& req) {
  auto body = PH_TRY(JsonBody::parse(req.raw.body()));
  Credentials c;
  c.address = PH_TRY(body.str("address"));
  c.password = PH_TRY(body.str("password"));
  PH_CHECK(body.finish());
  return c;
}

// Verifies the credentials and opens a session for them (on a blocking-pool thread).
base::Result<Reply> open_session(const Deps& deps, delivery::Services& s, const Request& req,
                                 const Credentials& cred, const std::string& old) {
  auto a = PH_TRY(s.directory->login(cred.address, cred.password));
  auth::WebSessions sessions(*s.sessions, deps.sessions);
  if (!old.empty()) (void)sessions.destroy(old);
  auth::SessionSubject subj = a.principal_id ? auth::SessionSubject{"principal", a.principal_id}
                                             : auth::SessionSubject{"mailbox", a.mailbox_id};
  auto ns = PH_TRY(sessions.create(subj, req.peer_ip, unix_now()));
  Reply rep;
  rep.status = bhttp::status::created;
  rep.body = {{"login", a.login},
              {"role", d::role_name(a.role)},
              {"csrf_token", ns.csrf},
              {"expires_in", deps.sessions.lifetime_seconds},
              {"idle_timeout", deps.sessions.idle_timeout_seconds}};
  rep.headers.push_back({"Set-Cookie", set_cookie(req, ns.id, deps.sessions.lifetime_seconds)});
  return rep;
}

// POST /api/v1/session: the shared login sequence (throttle, delay, verify, record; the same
// for unknown and known accounts), then a fresh session (a presented id is destroyed: no
// fixation).
Handler login_handler(const Deps* deps) {
  return [deps](Request& req) -> boost::asio::awaitable<Response> {
    auto cred = read_credentials(req);
    if (!cred) co_return to_response(std::move(cred).error());
    std::string old = cookie_value(req);
    auto verify = [&]() -> boost::asio::awaitable<base::Result<Reply>> {
      co_return co_await deps->pool->run([&]() -> base::Result<Reply> {
        return deps->services->with(
            [&](delivery::Services& s) { return open_session(*deps, s, req, *cred, old); });
      });
    };
    base::Result<Reply> r = Error(Errc::kInternal, "no login throttle");
    std::chrono::seconds retry_after{0};
    if (deps->throttle) {
      r = co_await auth::throttled_login<Reply>(*deps->throttle,
                                                co_await boost::asio::this_coro::executor,
                                                req.peer_ip, cred->address, verify, &retry_after);
    } else {
      r = co_await verify();
    }
    if (is_lock(r)) co_return throttled_response(retry_after, "logins");
    if (!r && r.error().code == Errc::kUnauthenticated)
      r = Error(Errc::kUnauthenticated, "invalid login or password");
    co_return to_response(std::move(r));
  };
}

// DELETE /api/v1/session: ends the presented session (CSRF-checked like any cookie mutation).
Handler logout_handler(const Deps* deps) {
  return [deps](Request& req) -> boost::asio::awaitable<Response> {
    std::string sid = cookie_value(req);
    auto r = co_await deps->pool->run([&]() -> base::Result<Reply> {
      return deps->services->with([&](delivery::Services& s) -> base::Result<Reply> {
        if (req.raw.find(bhttp::field::authorization) != req.raw.end() || sid.empty())
          return Error(Errc::kUnauthenticated, "no session");
        PH_TRY(authenticate(s, req, *deps));
        PH_CHECK(auth::WebSessions(*s.sessions, deps->sessions).destroy(sid));
        Reply rep = no_content();
        rep.headers.push_back({"Set-Cookie", set_cookie(req, "", 0)});
        return rep;
      });
    });
    co_return to_response(std::move(r));
  };
}

}  // namespace

std::vector<Entry> session_routes() {
  return {
      {{V::post,
        "/api/v1/session",
        "Log in (address + password): sets the session cookie",
        false,
        {{"address", "string"}, {"password", "string"}},
        {}},
       nullptr,
       login_handler},
      {{V::delete_, "/api/v1/session", "Log out: ends the cookie session", false, {}, {}},
       nullptr,
       logout_handler},
  };
}

}  // namespace posthouse::http::api
