#include "net/server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace posthouse::net {

using asio::use_awaitable;
using base::Errc;
using base::Error;
constexpr auto kTuple = asio::as_tuple(use_awaitable);

Server::Server(ServerOptions opts, std::shared_ptr<asio::ssl::context> tls)
    : opts_(opts), tls_(std::move(tls)), started_(std::chrono::steady_clock::now()) {
  int n = opts_.threads > 0 ? opts_.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (n < 1) n = 1;
  for (int i = 0; i < n; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    guards_.push_back(asio::make_work_guard(*contexts_.back()));
  }
  signals_ = std::make_unique<asio::signal_set>(*contexts_[0], SIGINT, SIGTERM);
}

Server::~Server() = default;

asio::io_context& Server::next_context() {
  return *contexts_[rr_.fetch_add(1) % contexts_.size()];
}

base::Status Server::add_listener(ListenerSpec spec) {
  if (spec.implicit_tls && !tls_) {
    return Error(Errc::kInvalid, fmt::format("listener {} needs TLS but no certificate is loaded",
                                             spec.name));
  }
  specs_.push_back(std::make_unique<ListenerSpec>(std::move(spec)));
  const ListenerSpec* s = specs_.back().get();
  if (!stats_.count(s->name)) stats_[s->name] = std::make_unique<ListenerStats>();
  for (const auto& ep : s->endpoints) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(ep.host, ec);
    if (ec) return Error(Errc::kInvalid, fmt::format("{}: bad address {}", s->name, ep.to_string()));
    tcp::endpoint endpoint(addr, ep.port);
    auto acc = std::make_unique<tcp::acceptor>(*contexts_[0]);
    acc->open(endpoint.protocol(), ec);
    if (!ec) acc->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec && addr.is_v6()) acc->set_option(asio::ip::v6_only(true), ec);
    if (!ec) acc->bind(endpoint, ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Error(Errc::kIo,
                   fmt::format("cannot listen on {} for {}: {}", ep.to_string(), s->name,
                               ec.message()));
    }
    config::Endpoint actual = ep;
    actual.port = acc->local_endpoint().port();
    acceptors_.push_back(Acceptor{s->name, actual, std::move(acc), s});
  }
  return {};
}

std::vector<std::string> Server::bound() const {
  std::vector<std::string> out;
  for (const auto& a : acceptors_) out.push_back(fmt::format("{} {}", a.listener, a.endpoint.to_string()));
  return out;
}

bool Server::admit(const std::string& ip) {
  std::lock_guard lock(mu_);
  if (active_.load() >= opts_.max_connections) return false;
  int& n = per_ip_[ip];
  if (n >= opts_.max_connections_per_ip) {
    if (n == 0) per_ip_.erase(ip);
    return false;
  }
  ++n;
  ++active_;
  return true;
}

void Server::release(const std::string& ip) {
  std::lock_guard lock(mu_);
  auto it = per_ip_.find(ip);
  if (it != per_ip_.end() && --it->second <= 0) per_ip_.erase(it);
  --active_;
}

asio::awaitable<void> Server::accept_loop(Acceptor& a) {
  ListenerStats* st = stats_.at(a.listener).get();
  while (!stopping_) {
    asio::io_context& ctx = next_context();
    auto [ec, sock] = co_await a.acceptor->async_accept(ctx, kTuple);
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) break;
      spdlog::warn("{}: accept failed: {}", a.listener, ec.message());
      // EMFILE and friends: back off briefly rather than spin.
      asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await t.async_wait(kTuple);
      continue;
    }
    auto conn = std::make_shared<Connection>(std::move(sock), tls_,
                                             a.listener, opts_.idle_timeout, st);
    conn->set_shutdown_flag(&stopping_);
    conn->set_max_buffer(opts_.max_buffer_bytes);
    std::string ip = conn->peer_ip();
    if (!admit(ip)) {
      ++st->refused;
      spdlog::warn("{} refused connection from {}: too many connections", a.listener, ip);
      asio::co_spawn(ctx, refuse(conn, a.spec->refuse_text), asio::detached);
      continue;
    }
    ++st->accepted;
    ++st->active;
    {
      std::lock_guard lock(mu_);
      live_[conn.get()] = conn;
    }
    asio::co_spawn(ctx, conn->watchdog(), asio::detached);
    asio::co_spawn(ctx, run_session(conn, a.spec, ip), asio::detached);
  }
}

asio::awaitable<void> Server::refuse(std::shared_ptr<Connection> conn, std::string text) {
  conn->set_idle_timeout(std::chrono::seconds(5));
  asio::co_spawn(conn->executor(), conn->watchdog(), asio::detached);
  if (!text.empty()) (void)co_await conn->write(text);
  conn->close();
}

asio::awaitable<void> Server::run_session(std::shared_ptr<Connection> conn,
                                          const ListenerSpec* spec, std::string ip) {
  spdlog::debug("{} {} connection from {}", conn->id(), spec->name, ip);
  bool ok = true;
  if (spec->implicit_tls) {
    auto st = co_await conn->handshake();
    if (!st) {
      spdlog::info("{} {} {}: {}", conn->id(), spec->name, ip, st.error().message);
      ok = false;
    }
  }
  if (ok) {
    try {
      co_await spec->handler(conn);
    } catch (const std::exception& e) {
      // Sessions must not throw; if one does, that session ends and the server carries on.
      spdlog::error("{} {} session error: {}", conn->id(), spec->name, e.what());
    }
  }
  conn->close();
  {
    std::lock_guard lock(mu_);
    live_.erase(conn.get());
  }
  --stats_.at(spec->name)->active;
  release(ip);
}

void Server::request_stop() {
  asio::post(*contexts_[0], [this] { begin_shutdown(); });
}

void Server::begin_shutdown() {
  if (stopping_.exchange(true)) return;
  spdlog::info("shutting down: no new connections, draining {} sessions (up to {}s)",
               active_.load(), opts_.shutdown_grace.count());
  for (auto& a : acceptors_) {
    boost::system::error_code ec;
    a.acceptor->close(ec);
  }
  asio::co_spawn(
      *contexts_[0],
      [this]() -> asio::awaitable<void> {
        auto deadline = std::chrono::steady_clock::now() + opts_.shutdown_grace;
        asio::steady_timer t(co_await asio::this_coro::executor);
        while (active_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
          t.expires_after(std::chrono::milliseconds(20));
          co_await t.async_wait(kTuple);
        }
        if (active_.load() > 0) {
          spdlog::info("closing {} sessions still open after the grace period", active_.load());
          std::vector<std::shared_ptr<Connection>> left;
          {
            std::lock_guard lock(mu_);
            for (auto& [p, w] : live_)
              if (auto c = w.lock()) left.push_back(c);
          }
          for (auto& c : left) c->close();
          auto hard = std::chrono::steady_clock::now() + std::chrono::seconds(2);
          while (active_.load() > 0 && std::chrono::steady_clock::now() < hard) {
            t.expires_after(std::chrono::milliseconds(20));
            co_await t.async_wait(kTuple);
          }
        }
        for (auto& g : guards_) g.reset();
        for (auto& c : contexts_) c->stop();
      },
      asio::detached);
}

void Server::run() {
  signals_->async_wait([this](const boost::system::error_code& ec, int sig) {
    if (!ec) {
      spdlog::info("received signal {}", sig);
      begin_shutdown();
    }
  });
  for (auto& a : acceptors_) asio::co_spawn(*contexts_[0], accept_loop(a), asio::detached);
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < contexts_.size(); ++i) {
    threads.emplace_back([this, i] { contexts_[i]->run(); });
  }
  contexts_[0]->run();
  for (auto& t : threads) t.join();
}

}  // namespace posthouse::net
