// Ending a session politely: the last reply reaches the client, over TLS with a close_notify
// after it, and never as a TCP reset.
//
// Closing a socket whose receive queue still holds bytes (the rest of an over-long line, a
// pipelined command) makes the kernel send RST, and a RST can destroy the client's copy of the
// reply it has not read yet. close_gracefully() therefore sends close_notify (TLS), half-closes
// (FIN), reads and drops whatever the peer still sends until it closes, then closes. A peer
// that keeps sending or never closes is cut off after `grace` (or 1 MiB).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>

#include "net/connection.h"

namespace posthouse::net {

boost::asio::awaitable<void> close_gracefully(
    std::shared_ptr<Connection> conn,
    std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

}  // namespace posthouse::net
