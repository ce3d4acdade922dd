// base::Result<T>: a value or a base::Error, shaped like std::expected (which g++ 12 lacks).
//
// Contract: a Result holds exactly one of the two. Accessing value() on an error, or error()
// on a value, is a programming error (asserts). Errors carry a machine code (Errc, stable, used
// by every wire mapping: SMTP, IMAP, POP3, HTTP) and a human message that must never contain a
// secret. Thread-compatible (no internal synchronisation).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace posthouse::base {

enum class Errc {
  kInvalid,          // bad input from a caller or peer
  kNotFound,         // also answered for objects outside the actor's scope
  kConflict,         // already exists, state does not allow
  kForbidden,        // the actor may not; only inside its scope
  kUnauthenticated,  // no or bad credentials
  kLimit,            // a count/byte/rate limit would be exceeded
  kTooLarge,         // a size limit on input
  kTemporary,        // try again later (I/O, lock, disk full)
  kIo,               // an I/O failure
  kInternal,         // a bug or an impossible state
  kUnavailable,      // service switched off / not configured
};

std::string_view errc_name(Errc c);  // "invalid", "not_found", ...

struct Error {
  Errc code = Errc::kInternal;
  std::string message;
  std::string field;  // optional: which input field is wrong

  Error() = default;
  Error(Errc c, std::string m, std::string f = {})
      : code(c), message(std::move(m)), field(std::move(f)) {}
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

  T value_or(T other) const& { return ok() ? value() : std::move(other); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : e_(std::move(e)) {}
  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  void value() const { assert(ok()); }
  const Error& error() const& { assert(!ok()); return *e_; }
  Error&& error() && { assert(!ok()); return std::move(*e_); }

 private:
  std::optional<Error> e_;
};

using Status = Result<void>;

inline Error make_error(Errc c, std::string m, std::string field = {}) {
  return Error(c, std::move(m), std::move(field));
}

}  // namespace posthouse::base

// PH_TRY(expr): evaluates a Result; on error returns the error from the enclosing function
// (which must return some Result<U>); otherwise yields the value. GNU statement expression.
#define PH_TRY(expr)                                          \
  ({                                                          \
    auto ph_try_r_ = (expr);                                  \
    if (!ph_try_r_.ok()) return std::move(ph_try_r_).error(); \
    std::move(ph_try_r_).value();                             \
  })

// PH_CHECK(expr): for Result<void>; returns the error if any.
#define PH_CHECK(expr)                                        \
  do {                                                        \
    auto ph_chk_r_ = (expr);                                  \
    if (!ph_chk_r_.ok()) return std::move(ph_chk_r_).error(); \
  } while (0)
