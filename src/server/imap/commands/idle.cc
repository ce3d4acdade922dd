#include <fmt/format.h>

#include "protocol/imap/command.h"
#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

namespace {
constexpr auto kKeepalive = std::chrono::minutes(2);
constexpr auto kIdleTimeout = std::chrono::minutes(31);  // clients re-IDLE every 29 minutes
}  // namespace

// IDLE (RFC 2177). While the client is idling, a second coroutine reports changes as they are
// committed (the store's watch callback cancels notify_->timer) and sends a keepalive; the
// session coroutine waits for DONE. Both run on the connection's executor, so they never run
// at the same time; the reader waits for the notifier to finish before replying.
PH_IMAP_HANDLER(cmd_idle) {
  if (!s.srv_.enter_idle()) {
    s.no(c, "Too many IDLE connections, try again later", "LIMIT");
    co_return;
  }
  codec::append_continuation(s.out_, "idling");
  if (s.state_ == State::kSelected) co_await s.sync(true);
  if (!co_await s.flush()) {
    s.srv_.leave_idle();
    co_return;
  }
  s.conn_->set_idle_timeout(std::chrono::duration_cast<std::chrono::seconds>(kIdleTimeout));
  auto notify = s.notify_;
  bool stop = false, running = true;
  asio::steady_timer done(s.conn_->executor(), asio::steady_timer::time_point::max());
  asio::co_spawn(
      s.conn_->executor(),
      [&]() -> asio::awaitable<void> {
        while (!stop) {
          if (!notify->pending) {
            notify->timer.expires_after(kKeepalive);
            auto [ec] = co_await notify->timer.async_wait(asio::as_tuple(asio::use_awaitable));
            if (stop) break;
            if (!ec && !notify->pending) {
              s.untagged("OK Still here");
              if (!co_await s.flush()) break;
              continue;
            }
          }
          notify->pending = false;
          co_await s.sync(true);
          if (!co_await s.flush()) break;
        }
        running = false;
        done.cancel();
      },
      asio::detached);
  auto line = co_await s.conn_->read_line(1024);
  stop = true;
  notify->timer.cancel();
  while (running) co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
  s.srv_.leave_idle();
  s.conn_->set_idle_timeout(s.o_.idle_timeout);
  if (!line) {
    s.state_ = State::kLogout;
    co_return;
  }
  std::string_view l = *line;
  while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.remove_suffix(1);
  if (!codec::is_idle_done(l)) {
    s.bad(c, "Expected DONE");
    co_return;
  }
  s.ok(c, "IDLE terminated");
}

}  // namespace posthouse::server::imap
