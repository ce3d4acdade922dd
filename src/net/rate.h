// A token bucket: at most `burst` events at once, `rate` per second sustained. Used per
// connection for command rates ([smtp]/[imap]/[pop3] command_rate/command_burst) as
// backpressure: a session reserve()s a token per command and, when the bucket is empty, waits
// the time it names before reading on, so a fast client is slowed, never refused.
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

  // Takes one token whether or not there is one, and returns how long the caller must wait
  // before acting on it: zero while tokens last, else the time until the debt is paid. A caller
  // that waits that long before its next reserve() keeps the debt below one token, so the
  // sustained rate is `rate` and nothing accumulates.
  Clock::duration reserve(Clock::time_point now = Clock::now()) {
    if (rate_ <= 0) return Clock::duration::zero();
    refill(now);
    tokens_ -= 1.0;
    if (tokens_ >= 0.0) return Clock::duration::zero();
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(-tokens_ / rate_));
  }

 private:
  void refill(Clock::time_point now) {
    if (now <= last_) return;
    double secs = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min<double>(burst_, tokens_ + secs * rate_);
    last_ = now;
  }

  int rate_;
  int burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace posthouse::net
