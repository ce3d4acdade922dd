// Login throttling shared by every protocol that authenticates (SMTP AUTH, IMAP, POP3, the
// API): per client IP and per account, exponential delay after a few failures, then a
// temporary lock.
//
// Contract:
// - Call check() before verifying a password; honour `delay` (sleep the session, not a
//   thread) and refuse when `locked`. Then call record_failure() or record_success().
// - Unknown accounts and wrong passwords must be recorded the same way (no user enumeration).
// - Keys are case-insensitive for accounts. Memory is bounded (max_entries); expired entries
//   are swept as new ones arrive.
// - Thread-safe. Time is passed in, so tests need no clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace posthouse::auth {

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    int free_failures = 3;              // failures before any delay
    std::chrono::milliseconds base_delay{250};
    std::chrono::milliseconds max_delay{8000};
    int lock_after = 10;                // failures in the window before a lock
    std::chrono::seconds lock_for{300};
    std::chrono::seconds window{900};   // failures older than this are forgotten
    std::size_t max_entries = 100000;
  };

  struct Decision {
    bool locked = false;
    std::chrono::milliseconds delay{0};
    std::chrono::seconds retry_after{0};  // when locked
  };

  LoginThrottle() : LoginThrottle(Options{}) {}
  explicit LoginThrottle(Options o) : opts_(o) {}

  Decision check(std::string_view ip, std::string_view account, Clock::time_point now);
  void record_failure(std::string_view ip, std::string_view account, Clock::time_point now);
  void record_success(std::string_view ip, std::string_view account, Clock::time_point now);
  std::size_t entries() const;

 private:
  struct Entry {
    int failures = 0;
    Clock::time_point last;
    Clock::time_point locked_until{};
  };
  Decision decide(const Entry& e, Clock::time_point now) const;
  void bump(const std::string& key, Clock::time_point now);
  void sweep(Clock::time_point now);

  Options opts_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> map_;
};

}  // namespace posthouse::auth
