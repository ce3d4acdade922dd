// What every mail protocol session (SMTP, IMAP, POP3) shares: the settings each takes, how a
// line-oriented session (SMTP, POP3) writes the replies it batched, and the command budget.
//
// Contract: SessionOptions is a plain value, fixed once a server is built. write_pending() and
// pace() run on the connection's executor like the session that calls them.
#pragma once

#include <boost/asio.hpp>
#include <cstddef>
#include <string>

#include "net/connection.h"
#include "net/rate.h"

namespace posthouse::server {

struct SessionOptions {
  std::string hostname = "localhost";
  bool allow_plaintext_auth = false;  // clear-text authentication without TLS
  int max_errors = 20;                // protocol errors per session, then it is closed
  int command_rate = 500;             // commands per second per connection (0: unlimited)
  int command_burst = 1000;           // commands at full speed before the rate applies
};

// Replies are batched while the client pipelines, and written once this much is pending even
// while pipelined commands remain, so a pipelined stream cannot grow them without bound.
constexpr std::size_t kFlushBytes = 64 * 1024;

// Writes `out` (if anything is pending) and empties it; false when the peer is gone.
inline boost::asio::awaitable<bool> write_pending(net::Connection& conn, std::string& out) {
  if (out.empty()) co_return true;
  auto st = co_await conn.write(out);
  out.clear();
  co_return st.ok();
}

// The command budget as backpressure: takes a token from `budget` for the command about to
// run; when the bucket is empty it first writes what `out` holds (the client sees every answer
// so far) and waits until the token is due, without reading, so a fast client is slowed and
// never refused. False when the peer is gone.
inline boost::asio::awaitable<bool> pace(net::Connection& conn, net::TokenBucket& budget,
                                         std::string& out) {
  auto wait = budget.reserve();
  if (wait <= wait.zero()) co_return true;
  if (!co_await write_pending(conn, out)) co_return false;
  co_await conn.pause(wait);
  co_return !conn.closed();
}

}  // namespace posthouse::server
