// The one login sequence of every mail protocol (SMTP AUTH, IMAP LOGIN/AUTHENTICATE, POP3
// USER/PASS and AUTH): throttle check → delay → authenticate → record the result.
//
// Contract:
// - throttled_login() consults the shared LoginThrottle for the client IP and the account; a
//   locked pair gets Errc::kLimit with field "locked" and `verify` is not called; a delay is
//   awaited on a timer of the session's executor (never a thread).
// - `verify` is a callable returning awaitable<base::Result<T>> (the caller runs the directory
//   work on its blocking pool). Its kUnauthenticated error (unknown account or wrong password,
//   alike) records a failure; success and kForbidden (right password, protocol switched off)
//   record a success; other errors (temporary) record nothing.
// - `retry_after`, when given, receives how long a lock lasts (HTTP's Retry-After).
// - Neither the password nor the verify result's details are logged here.
#pragma once

#include <boost/asio.hpp>

#include <string>

#include "auth/throttle.h"
#include "base/result.h"

namespace posthouse::auth {

// kLimit/"locked" when refused (with the lock's remaining time in *retry_after when given);
// otherwise the delay to await before verifying. An empty account throttles the IP alone.
base::Result<std::chrono::milliseconds> login_admit(LoginThrottle& throttle, const std::string& ip,
                                                    const std::string& account,
                                                    std::chrono::seconds* retry_after = nullptr);
// Records the verification's outcome (see the contract above).
void login_record(LoginThrottle& throttle, const std::string& ip, const std::string& account,
                  const base::Error* error);

template <class T, class Verify>
boost::asio::awaitable<base::Result<T>> throttled_login(LoginThrottle& throttle,
                                                        boost::asio::any_io_executor ex,
                                                        std::string ip, std::string account,
                                                        Verify verify,
                                                        std::chrono::seconds* retry_after = nullptr) {
  auto delay = login_admit(throttle, ip, account, retry_after);
  if (!delay) co_return delay.error();
  if (delay->count() > 0) {
    boost::asio::steady_timer t(ex, *delay);
    co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
  base::Result<T> r = co_await verify();
  login_record(throttle, ip, account, r ? nullptr : &r.error());
  co_return r;
}

}  // namespace posthouse::auth
