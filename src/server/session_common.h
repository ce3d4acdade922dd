// What every mail protocol session (SMTP, IMAP, POP3) shares: the settings each takes, and how
// a line-oriented session (SMTP, POP3) writes the replies it batched.
//
// Contract: SessionOptions is a plain value, fixed once a server is built. write_pending()
// runs on the connection's executor like the session that calls it.
#pragma once

#include <boost/asio.hpp>
#include <cstddef>
#include <string>

#include "net/connection.h"

namespace posthouse::server {

struct SessionOptions {
  std::string hostname = "localhost";
  bool allow_plaintext_auth = false;  // clear-text authentication without TLS
  int max_errors = 20;                // protocol errors per session, then it is closed
  int command_rate = 500;             // token bucket per connection (0: unlimited)
  int command_burst = 1000;
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

}  // namespace posthouse::server
