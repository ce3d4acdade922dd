// The network core: N I/O threads (one io_context each), listeners on IPv4/IPv6 with optional
// implicit TLS, connection limits (global and per IP), the idle-timeout watchdog, per-listener
// statistics for /metrics, and graceful shutdown.
//
// Contract:
// - add_listener() binds at once, so a port in use is reported at start naming the address.
// - Each accepted connection runs `handler(conn)` as a coroutine on one I/O thread; the
//   handler owns the protocol and must not block (use BlockingPool for blocking work).
// - Over-limit connections get `refuse_text` (the protocol's own "too busy" line), are closed,
//   and a log line names the address. Others are unaffected.
// - run() blocks until stop: on SIGTERM/SIGINT or request_stop(), acceptors close, sessions see
//   Connection::shutting_down(), and after `shutdown_grace` whatever is left is closed.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "net/connection.h"

namespace posthouse::net {

using SessionHandler = std::function<asio::awaitable<void>(std::shared_ptr<Connection>)>;

struct ListenerSpec {
  std::string name;  // "smtp", "imap", ... (used in logs and metrics)
  std::vector<config::Endpoint> endpoints;
  bool implicit_tls = false;
  std::string refuse_text;  // sent to over-limit clients, e.g. "421 4.7.0 Too many connections\r\n"
  SessionHandler handler;
};

struct ServerOptions {
  int threads = 0;  // 0 = hardware concurrency
  int max_connections = 2000;
  int max_connections_per_ip = 50;
  std::chrono::seconds idle_timeout{300};
  std::size_t max_buffer_bytes = 1 << 20;  // unprocessed input held for one connection
  std::chrono::seconds shutdown_grace{10};
};

class Server {
 public:
  Server(ServerOptions opts, std::shared_ptr<asio::ssl::context> tls);
  ~Server();

  base::Status add_listener(ListenerSpec spec);
  // Blocks until the server has stopped. Installs SIGTERM/SIGINT handlers.
  void run();
  void request_stop();  // thread-safe

  // One line per bound address, e.g. "smtp 127.0.0.1:2525".
  std::vector<std::string> bound() const;
  // Snapshot for /metrics: listener name → stats.
  const std::map<std::string, std::unique_ptr<ListenerStats>>& stats() const { return stats_; }
  int64_t active_connections() const { return active_.load(); }
  std::chrono::steady_clock::time_point started() const { return started_; }
  asio::io_context& main_context() { return *contexts_[0]; }

 private:
  struct Acceptor {
    std::string listener;
    config::Endpoint endpoint;
    std::unique_ptr<tcp::acceptor> acceptor;
    const ListenerSpec* spec;
  };

  asio::awaitable<void> accept_loop(Acceptor& a);
  asio::awaitable<void> run_session(std::shared_ptr<Connection> conn, const ListenerSpec* spec,
                                    std::string ip);
  asio::awaitable<void> refuse(std::shared_ptr<Connection> conn, std::string text);
  void begin_shutdown();
  bool admit(const std::string& ip);
  void release(const std::string& ip);
  asio::io_context& next_context();

  ServerOptions opts_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  // SIGINT/SIGTERM are caught from construction, before any listener is bound: a signal that
  // arrives while `serve` is still starting (its listeners already accept into the backlog)
  // waits for run() and drains, instead of killing the process.
  std::unique_ptr<asio::signal_set> signals_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::unique_ptr<ListenerSpec>> specs_;
  std::vector<Acceptor> acceptors_;
  std::map<std::string, std::unique_ptr<ListenerStats>> stats_;
  std::atomic<std::size_t> rr_{0};
  std::atomic<int64_t> active_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;  // guards per_ip_ and live_
  std::unordered_map<std::string, int> per_ip_;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> live_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace posthouse::net
