// The SMTP client's forward-confirmed reverse DNS name (FCrDNS: a PTR name of its address whose
// A/AAAA records contain the address), for the Received header and, later, spam scoring.
//
// Contract: ClientNames::start() begins one lookup per connection on its own small thread
// pool (the resolver blocks; no I/O thread ever does), and returns at once. Lookup::get()
// awaits the answer on the session's executor, at most until `timeout` after the start, and
// is then "" (unknown: no PTR, no confirming A/AAAA, a DNS failure or too slow). A lookup still
// queued at its deadline is dropped unasked. Names are lower case, letters, digits, '-', '_'
// and '.' only (queue::Resolver::confirmed_name), so they are safe in a header. ClientNames
// (made with make_shared) is shared by the SMTP listeners and thread-safe; a Lookup belongs
// to one session and is used on its executor only.
#pragma once

#include <boost/asio.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "net/blocking_pool.h"
#include "queue/resolver.h"

namespace posthouse::server::smtp {

class ClientNames : public std::enable_shared_from_this<ClientNames> {
 public:
  class Lookup {
   public:
    explicit Lookup(boost::asio::any_io_executor ex) : done_(ex) {}
    boost::asio::awaitable<std::string> get();

   private:
    friend class ClientNames;
    boost::asio::steady_timer done_;  // expires at the deadline; cancelled by the answer
    std::optional<std::string> name_;
  };

  // resolver.timeout_ms bounds each DNS query; `timeout` the whole wait of a session.
  ClientNames(queue::ResolverOptions resolver, std::chrono::milliseconds timeout,
              std::size_t threads = 4)
      : resolver_(std::move(resolver)), timeout_(timeout), pool_(threads) {}

  std::shared_ptr<Lookup> start(boost::asio::any_io_executor ex, const std::string& ip);

 private:
  static boost::asio::awaitable<void> resolve(std::shared_ptr<ClientNames> self,
                                              std::shared_ptr<Lookup> lookup, std::string ip);

  queue::Resolver resolver_;
  std::chrono::milliseconds timeout_;
  net::BlockingPool pool_;  // last: joined before the resolver it uses goes
};

}  // namespace posthouse::server::smtp
