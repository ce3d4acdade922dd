// A bounded pool of threads for blocking work (SQLite, fsync, argon2) so that no I/O thread
// ever blocks. `co_await pool.run(fn)` runs fn on a pool thread and resumes the awaiting
// coroutine on its own executor with fn's result. Thread-safe. Work queued beyond the pool's
// threads waits its turn (the bound is the thread count).
#pragma once

#include <boost/asio.hpp>

#include <type_traits>
#include <utility>

namespace posthouse::net {

class BlockingPool {
 public:
  explicit BlockingPool(std::size_t threads) : pool_(threads) {}
  ~BlockingPool() { stop(); }

  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F>> run(F f) {
    using R = std::invoke_result_t<F>;
    namespace asio = boost::asio;
    if constexpr (std::is_void_v<R>) {
      co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
          [this, f = std::move(f)](auto handler) mutable {
            asio::post(pool_, [f = std::move(f), handler = std::move(handler)]() mutable {
              f();
              auto ex = asio::get_associated_executor(handler);
              asio::post(ex, std::move(handler));
            });
          },
          asio::use_awaitable);
    } else {
      co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
          [this, f = std::move(f)](auto handler) mutable {
            asio::post(pool_, [f = std::move(f), handler = std::move(handler)]() mutable {
              R r = f();
              auto ex = asio::get_associated_executor(handler);
              asio::post(ex, [h = std::move(handler), r = std::move(r)]() mutable {
                std::move(h)(std::move(r));
              });
            });
          },
          asio::use_awaitable);
    }
  }

  void stop() {
    pool_.stop();
    pool_.join();
  }

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace posthouse::net
