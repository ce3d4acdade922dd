#include "server/smtp/smtp_server.h"

#include "server/smtp/session.h"

namespace posthouse::server::smtp {

SmtpServer::SmtpServer(Options opts, std::shared_ptr<delivery::Gateway> gateway,
                       net::BlockingPool& pool, std::shared_ptr<auth::LoginThrottle> throttle)
    : opts_(std::move(opts)),
      gateway_(std::move(gateway)),
      pool_(pool),
      throttle_(std::move(throttle)) {}

asio::awaitable<void> SmtpServer::session(std::shared_ptr<net::Connection> conn) {
  Session s(*this, opts_, *gateway_, pool_, *throttle_, std::move(conn));
  co_await s.run();
}

}  // namespace posthouse::server::smtp
