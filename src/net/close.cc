#include "net/close.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>

namespace posthouse::net {

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kDrainMax = 1 << 20;
}  // namespace

asio::awaitable<void> close_gracefully(std::shared_ptr<Connection> conn,
                                       std::chrono::milliseconds grace) {
  if (conn->closed()) co_return;
  // Whatever happens below, the connection is closed by `grace` at the latest.
  asio::steady_timer guard(conn->executor());
  guard.expires_after(grace);
  guard.async_wait([conn](const boost::system::error_code& ec) {
    if (!ec) conn->close();
  });
  if (conn->is_tls()) {
    // Sends close_notify, then waits for the peer's (or its EOF, or the guard).
    co_await conn->with_stream([](auto& s) -> asio::awaitable<void> {
      if constexpr (!std::is_same_v<std::decay_t<decltype(s)>, tcp::socket>) {
        co_await s.async_shutdown(kTuple);
      }
      co_return;
    });
  }
  tcp::socket& sock = *conn->with_stream([](auto& s) -> tcp::socket* {
    if constexpr (std::is_same_v<std::decay_t<decltype(s)>, tcp::socket>) {
      return &s;
    } else {
      return &s.next_layer();
    }
  });
  if (!conn->closed()) {
    boost::system::error_code ec;
    sock.shutdown(tcp::socket::shutdown_send, ec);
    char buf[4096];
    std::size_t drained = 0;
    while (!conn->closed() && drained < kDrainMax) {
      auto [e, n] = co_await sock.async_read_some(asio::buffer(buf), kTuple);
      if (e) break;
      drained += n;
    }
  }
  guard.cancel();
  conn->close();
}

}  // namespace posthouse::net
