#include "server/smtp/client_name.h"

#include <spdlog/spdlog.h>

namespace posthouse::server::smtp {

namespace asio = boost::asio;

asio::awaitable<std::string> ClientNames::Lookup::get() {
  if (!name_) {
    // Cancelled by the answer, or expired at the deadline: either way, done waiting.
    co_await done_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!name_) name_ = "";  // too slow: unknown, and a late answer changes nothing
  }
  co_return *name_;
}

asio::awaitable<void> ClientNames::resolve(std::shared_ptr<ClientNames> self,
                                           std::shared_ptr<Lookup> lookup, std::string ip) {
  const queue::Resolver& resolver = self->resolver_;
  auto deadline = lookup->done_.expiry();  // read here, on the session's executor
  auto name = co_await self->pool_.run([&]() -> base::Result<std::string> {
    // Queued behind slow lookups past the session's deadline: the session no longer waits,
    // so a flood of connections never builds a backlog of lookups nobody reads.
    if (std::chrono::steady_clock::now() >= deadline)
      return base::Error(base::Errc::kTemporary, "lookup started after its deadline");
    return resolver.confirmed_name(ip);
  });
  if (!name && name.error().code != base::Errc::kNotFound) {
    spdlog::debug("reverse DNS of {}: {}", ip, name.error().message);
  }
  if (lookup->name_) co_return;
  lookup->name_ = name ? *name : "";
  lookup->done_.cancel();
}

std::shared_ptr<ClientNames::Lookup> ClientNames::start(asio::any_io_executor ex,
                                                        const std::string& ip) {
  auto lookup = std::make_shared<Lookup>(ex);
  lookup->done_.expires_after(timeout_);
  asio::co_spawn(ex, resolve(shared_from_this(), lookup, ip), asio::detached);
  return lookup;
}

}  // namespace posthouse::server::smtp
