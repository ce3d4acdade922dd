// AUTH on the submission ports (RFC 4954): PLAIN (RFC 4616) and LOGIN, with an initial response
// or over 334 continuations, checked through the shared LoginThrottle.
#include <spdlog/spdlog.h>

#include "auth/login.h"
#include "base/strings.h"
#include "protocol/text.h"
#include "server/smtp/session.h"

namespace posthouse::server::smtp {

using base::Errc;
using base::Error;

asio::awaitable<bool> Session::on_auth(const codec::Command& c) {
  if (refuse_auth()) co_return true;
  std::string mech = base::to_lower(c.arg);
  SaslOutcome got;
  if (mech == "plain") {
    got = co_await read_plain(c);
  } else if (mech == "login") {
    got = co_await read_login(c);
  } else {
    reply(504, "5.5.4", "Unrecognized authentication mechanism");
    co_return count_error();
  }
  if (const bool* keep = std::get_if<bool>(&got)) co_return *keep;
  co_return co_await login(std::get<Credentials>(got));
}

// AUTH where it is not allowed: replies and returns true.
bool Session::refuse_auth() {
  if (o_.mode == Mode::kMx) {
    reply(503, "5.5.1", "AUTH not available on this port; use submission");
    return true;
  }
  if (!ehlo_) {
    reply(503, "5.5.1", "Send EHLO first");
    return true;
  }
  if (auth_) {
    reply(503, "5.5.1", "Already authenticated");
    return true;
  }
  if (in_mail_) {
    reply(503, "5.5.1", "AUTH not allowed during a mail transaction");
    return true;
  }
  if (!conn_->is_tls() && !o_.allow_plaintext_auth) {
    reply(538, "5.7.11", "Encryption required for requested authentication mechanism");
    return true;
  }
  return false;
}

asio::awaitable<base::Result<std::string>> Session::read_sasl_line() {
  if (!co_await flush()) co_return Error(Errc::kIo, "write failed");
  auto line = co_await conn_->read_line(o_.max_line);
  if (!line) co_return line.error();
  std::string s = std::move(*line);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  co_return s;
}

asio::awaitable<std::optional<std::string>> Session::first_response(const codec::Command& c,
                                                                    std::string_view challenge) {
  if (c.auth_initial) co_return *c.auth_initial;
  reply(334, "", challenge);
  auto l = co_await read_sasl_line();
  if (!l) co_return std::nullopt;
  co_return std::move(*l);
}

bool Session::cancelled(std::string_view response) {
  if (response != "*") return false;
  reply(501, "5.0.0", "Authentication cancelled");
  return true;
}

asio::awaitable<Session::SaslOutcome> Session::read_plain(const codec::Command& c) {
  auto resp = co_await first_response(c, "");
  if (!resp) co_return false;
  if (cancelled(*resp)) co_return true;
  auto creds = protocol::decode_sasl_plain(*resp);
  if (!creds) {
    reply(codec::error_reply(creds.error()));
    co_return count_error();
  }
  if (!creds->authzid.empty() && !base::iequals(creds->authzid, creds->authcid)) {
    reply(535, "5.7.8", "Authentication credentials invalid");
    co_return count_error();
  }
  co_return Credentials{creds->authcid, creds->password};
}

asio::awaitable<Session::SaslOutcome> Session::read_login(const codec::Command& c) {
  auto user_b64 = co_await first_response(c, "VXNlcm5hbWU6");  // "Username:"
  if (!user_b64) co_return false;
  if (cancelled(*user_b64)) co_return true;
  reply(334, "", "UGFzc3dvcmQ6");  // "Password:"
  auto p = co_await read_sasl_line();
  if (!p) co_return false;
  if (cancelled(*p)) co_return true;
  auto u = protocol::decode_sasl_login_step(*user_b64);
  auto pw = protocol::decode_sasl_login_step(*p);
  if (!u || !pw) {
    reply(501, "5.5.2", "Cannot decode SASL response");
    co_return count_error();
  }
  co_return Credentials{*u, *pw};
}

asio::awaitable<bool> Session::login(const Credentials& creds) {
  const std::string& login = creds.login;
  const std::string& password = creds.password;
  std::string ip = conn_->peer_ip();
  auto user = co_await auth::throttled_login<delivery::AuthUser>(
      throttle_, conn_->executor(), ip, login,
      [&] { return pool_.run([&] { return gw_.authenticate(login, password, ip); }); });
  if (!user) {
    if (user.error().field == "locked") {
      reply(454, "4.7.0", "Too many failed attempts, try again later");
      co_return count_error();
    }
    if (user.error().code == Errc::kTemporary || user.error().code == Errc::kIo) {
      reply(454, "4.7.0", "Temporary authentication failure");
    } else {
      reply(535, "5.7.8", "Authentication credentials invalid");
    }
    spdlog::info("{} smtp auth failed from {}", conn_->id(), ip);
    co_return count_error();
  }
  if (!user->smtp_allowed) {
    reply(535, "5.7.8", "SMTP is not enabled for this account");
    co_return count_error();
  }
  auth_ = *user;
  reply(235, "2.7.0", "Authentication successful");
  co_return true;
}

}  // namespace posthouse::server::smtp
