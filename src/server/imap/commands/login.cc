#include <fmt/format.h>

#include "auth/login.h"
#include "base/strings.h"
#include "protocol/text.h"
#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

using base::Errc;

asio::awaitable<void> do_login(Session& s, const codec::Command& c, std::string user,
                               std::string password) {
  auto& gw = s.srv_.gateway();
  auto p = co_await auth::throttled_login<directory::MailPrincipal>(
      s.srv_.throttle(), s.conn_->executor(), s.conn_->peer_ip(), user,
      [&] { return s.blocking([&] { return gw.login(user, password, "imap"); }); });
  if (!p) {
    if (p.error().field == "locked") {
      s.no(c, "Too many failed attempts, try again later", "UNAVAILABLE");
      ++s.errors_;
    } else if (p.error().code == Errc::kForbidden) {
      s.no(c, "IMAP is not enabled for this account", "NOPERM");
    } else if (p.error().code == Errc::kUnauthenticated) {
      s.no(c, "Authentication failed", "AUTHENTICATIONFAILED");
      ++s.errors_;
    } else {
      s.no(c, "Temporary failure, try again later", "UNAVAILABLE");
    }
    co_return;
  }
  s.mailbox_ = p->mailbox_id;
  s.user_ = p->address;
  s.state_ = State::kAuthenticated;
  // Wakes an IDLE session when this mailbox changes (the callback runs on the store's thread).
  s.notify_ = std::make_shared<Session::Notify>(s.conn_->executor());
  std::weak_ptr<Session::Notify> w = s.notify_;
  auto ex = s.conn_->executor();
  s.watch_ = s.srv_.mail().watch(s.mailbox_, [w, ex](const store::Change&) {
    asio::post(ex, [w] {
      if (auto n = w.lock()) {
        n->pending = true;
        n->timer.cancel();
      }
    });
  });
  s.ok(c, "Logged in", "CAPABILITY " + capabilities(s));
}

PH_IMAP_HANDLER(cmd_login) {
  if (!s.conn_->is_tls() && !s.o_.allow_plaintext_auth) {
    s.no(c, "Plaintext authentication disallowed on non-secure connections; use STARTTLS",
         "PRIVACYREQUIRED");
    ++s.errors_;
    co_return;
  }
  const auto& a = std::get<codec::Login>(c.args);
  co_await do_login(s, c, std::string(a.user), std::string(a.password));
}

PH_IMAP_HANDLER(cmd_authenticate) {
  const auto& a = std::get<codec::Authenticate>(c.args);
  if (!base::iequals(a.mechanism, "PLAIN")) {
    s.no(c, "Unsupported authentication mechanism", "CANNOT");
    co_return;
  }
  if (!s.conn_->is_tls() && !s.o_.allow_plaintext_auth) {
    s.no(c, "Plaintext authentication disallowed on non-secure connections; use STARTTLS",
         "PRIVACYREQUIRED");
    ++s.errors_;
    co_return;
  }
  std::string resp;
  if (a.initial) {
    resp = std::string(*a.initial);
  } else {
    codec::append_continuation(s.out_, "");
    if (!co_await s.flush()) co_return;
    auto l = co_await s.conn_->read_line(8192);
    if (!l) {
      s.bad(c, "Authentication line too long");
      co_return;
    }
    resp = std::string(base::trim(*l));
  }
  if (protocol::is_sasl_cancel(resp)) {
    s.bad(c, "Authentication cancelled");
    co_return;
  }
  auto creds = protocol::decode_sasl_plain(resp == "=" ? "" : resp);
  if (!creds || (!creds->authzid.empty() && creds->authzid != creds->authcid)) {
    s.no(c, "Authentication failed", "AUTHENTICATIONFAILED");
    ++s.errors_;
    co_return;
  }
  co_await do_login(s, c, creds->authcid, creds->password);
}

}  // namespace posthouse::server::imap
