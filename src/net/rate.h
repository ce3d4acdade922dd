// A token bucket: at most `burst` events at once, `rate` per second sustained. Used per
// connection for command rates (IMAP [imap] command_rate/command_burst).
//
// Contract: not thread-safe (one per connection, used on its executor). rate 0 means
// unlimited. Time is passed in, so tests need no clock and no sleeping.
#pragma once

#include <algorithm>
#include <chrono>

namespace posthouse::net {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(int rate, int burst, Clock::time_point now = Clock::now())
      : rate_(rate), burst_(std::max(1, burst)), tokens_(burst_), last_(now) {}

  // Takes one token; false (and nothing taken) when the bucket is empty.
  bool take(Clock::time_point now = Clock::now()) {
    if (rate_ <= 0) return true;
    if (now > last_) {
      double secs = std::chrono::duration<double>(now - last_).count();
      tokens_ = std::min<double>(burst_, tokens_ + secs * rate_);
      last_ = now;
    }
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  int rate_;
  int burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace posthouse::net
