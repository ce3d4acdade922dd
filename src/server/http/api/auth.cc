#include "base/clock.h"
#include "server/http/api/auth.h"

#include <fmt/format.h>

#include "auth/login.h"
#include "auth/web_sessions.h"
#include "base/strings.h"
#include "server/http/api_util.h"

namespace posthouse::http::api {

namespace {

bool safe_method(bhttp::verb m) { return m == bhttp::verb::get || m == bhttp::verb::head; }

std::string_view header(const Request& req, std::string_view name) {
  auto h = req.raw.find(name);
  return h == req.raw.end() ? std::string_view()
                            : std::string_view(h->value().data(), h->value().size());
}

}  // namespace

int64_t unix_now() { return base::unix_now(); }

std::string cookie_value(const Request& req) {
  auto it = req.raw.find(bhttp::field::cookie);
  if (it == req.raw.end()) return {};
  std::string_view all(it->value().data(), it->value().size());
  while (!all.empty()) {
    auto semi = all.find(';');
    auto part = base::trim(all.substr(0, semi));
    if (part.size() > kCookie.size() && part.substr(0, kCookie.size()) == kCookie &&
        part[kCookie.size()] == '=')
      return std::string(part.substr(kCookie.size() + 1));
    if (semi == std::string_view::npos) break;
    all.remove_prefix(semi + 1);
  }
  return {};
}

std::string set_cookie(const Request& req, const std::string& value, int64_t max_age) {
  return fmt::format("{}={}; Path=/api/; Max-Age={}; HttpOnly; SameSite=Strict{}", kCookie, value,
                     max_age, req.tls ? "; Secure" : "");
}

base::Result<d::Actor> authenticate(delivery::Services& s, Request& req, const Deps& deps) {
  Error none(Errc::kUnauthenticated, "authentication required");
  auto authz = req.raw.find(bhttp::field::authorization);
  if (authz != req.raw.end()) {
    std::string_view v(authz->value().data(), authz->value().size());
    if (v.size() < 7 || !base::iequals(v.substr(0, 7), "Bearer "))
      return Error(Errc::kUnauthenticated, "use Authorization: Bearer <token>");
    return s.directory->actor_for_token(base::trim(v.substr(7)), req.peer_ip);
  }
  std::string sid = cookie_value(req);
  if (sid.empty()) return none;
  auth::WebSessions sessions(*s.sessions, deps.sessions);
  auto info = sessions.lookup(sid, unix_now());
  if (!info) return none;
  if (!safe_method(req.raw.method())) {
    std::string_view got = header(req, "X-CSRF-Token");
    if (got.size() != info->csrf.size() || !auth::secret_equal(got, info->csrf))
      return Error(Errc::kForbidden, "missing or wrong X-CSRF-Token header", "X-CSRF-Token");
  }
  std::string login;
  if (info->subject.kind == "principal") {
    auto p = s.dir_store->get_principal(info->subject.id);
    if (!p) return none;
    login = p->login;
  } else {
    auto m = s.dir_store->get_mailbox(info->subject.id);
    if (!m) return none;
    login = m->address;
  }
  auto a = s.directory->actor_for(login);
  if (!a || !a->active) return none;
  a->source = "api";
  a->ip = req.peer_ip;
  return a;
}

base::Status end_sessions(Ctx& c, const std::string& kind, d::Id id) {
  return auth::WebSessions(*c.s.sessions, c.deps.sessions).destroy_subject({kind, id});
}

base::Status end_principal_sessions(Ctx& c, const std::string& login) {
  auto p = PH_TRY(c.s.dir_store->find_principal(base::to_lower(login)));
  return p ? end_sessions(c, "principal", p->id) : base::Status{};
}

Response to_response(base::Result<Reply> r) {
  if (!r) {
    Response res = error_response(r.error());
    if (r.error().code == Errc::kUnauthenticated)
      res.set(bhttp::field::www_authenticate, "Bearer realm=\"posthouse\"");
    return res;
  }
  Response res = r->status == bhttp::status::no_content
                     ? make_response(r->status, "", "application/json")
                     : json_response(r->status, r->body);
  for (auto& [k, v] : r->headers) res.insert(k, v);
  res.set(bhttp::field::cache_control, "no-store");
  return res;
}

Response throttled_response(std::chrono::seconds retry_after, std::string_view what) {
  Response res = json_error(bhttp::status::too_many_requests, "throttled",
                            fmt::format("too many failed {}; try again later", what));
  res.set(bhttp::field::retry_after, std::to_string(retry_after.count()));
  return res;
}

bool is_lock(const base::Result<Reply>& r) {
  return !r && r.error().code == Errc::kLimit && r.error().field == "locked";
}

// Bearer tokens are guessable secrets too: a bearer request goes through the same login
// sequence as a password (auth::throttled_login, keyed by the client IP alone), so token
// guessing is as slow as password guessing. Cookie sessions are not throttled here: their ids
// are never guessed by design (256 bits) and a stale cookie is an ordinary event.
Handler wrap(const Deps* deps, Fn fn) {
  return [deps, fn = std::move(fn)](Request& req) -> boost::asio::awaitable<Response> {
    auto handle = [&]() -> boost::asio::awaitable<base::Result<Reply>> {
      co_return co_await deps->pool->run([&]() -> base::Result<Reply> {
        return deps->services->with([&](delivery::Services& s) -> base::Result<Reply> {
          auto actor = PH_TRY(authenticate(s, req, *deps));
          // Authorized before the body is read: a read-only token's write is a 403 whatever
          // its body holds (the policy's answer for every non-read verb).
          auto m = req.raw.method();
          bool read = m == bhttp::verb::get || m == bhttp::verb::head || m == bhttp::verb::options;
          if (!read && d::writes_refused(actor))
            return base::Error(Errc::kForbidden, "not allowed: read-only token");
          Ctx c{s, *s.directory, std::move(actor), req, *deps, std::nullopt};
          return fn(c);
        });
      });
    };
    const bool bearer = req.raw.find(bhttp::field::authorization) != req.raw.end();
    if (!bearer || !deps->throttle) co_return to_response(co_await handle());
    std::chrono::seconds retry_after{0};
    auto r = co_await auth::throttled_login<Reply>(*deps->throttle,
                                                   co_await boost::asio::this_coro::executor,
                                                   req.peer_ip, "", handle, &retry_after);
    if (is_lock(r)) co_return throttled_response(retry_after, "token uses");
    co_return to_response(std::move(r));
  };
}

}  // namespace posthouse::http::api
