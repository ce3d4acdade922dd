// An answer computed off the session's executor (on a blocking pool) and awaited on it, maybe
// long after it was asked for: the DNS lists' answer about the client, asked at connect.
//
// Contract: made, set() and get() on the session's executor only (not thread-safe); set() once.
// get() returns at once when the value is in, else waits for set(). Shared by the session and
// the coroutine computing the value, so either may outlive the other.
#pragma once

#include <boost/asio.hpp>
#include <chrono>
#include <optional>

namespace posthouse::server::smtp {

template <class T>
class Pending {
 public:
  explicit Pending(boost::asio::any_io_executor ex) : done_(ex) {
    done_.expires_at(std::chrono::steady_clock::time_point::max());
  }

  void set(T value) {
    value_ = std::move(value);
    done_.cancel();
  }

  // A copy: awaitable<> holds values.
  boost::asio::awaitable<T> get() {
    while (!value_) co_await done_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return *value_;
  }

 private:
  boost::asio::steady_timer done_;  // cancelled by set()
  std::optional<T> value_;
};

}  // namespace posthouse::server::smtp
