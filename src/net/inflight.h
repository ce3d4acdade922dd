// InflightBudget: the bytes of messages being received right now, across every session of
// every listener that shares it (`[limits] max_inflight_bytes`), and the admission rule for a
// new message: one may start only while the total is below the budget. Sessions already
// receiving are never cut off (their bytes keep counting past the budget); what the budget
// refuses is the next DATA/BDAT (SMTP 452 4.3.1, temporary), so the memory and spool space
// given to unfinished messages stays near max_bytes plus one read window per admitted session.
//
// Contract: thread-safe (atomics). A Lease is one message's share: it counts what the message
// has received so far and gives it all back when it is released or destroyed, so every path
// (delivered, refused, RSET, disconnect) returns the bytes. A Lease is used by one session.
#pragma once

#include <atomic>
#include <cstdint>

namespace posthouse::net {

class InflightBudget {
 public:
  explicit InflightBudget(uint64_t max_bytes) : max_(max_bytes) {}
  InflightBudget(const InflightBudget&) = delete;
  InflightBudget& operator=(const InflightBudget&) = delete;

  // May a new message start now?
  bool admits() const { return used_.load(std::memory_order_relaxed) < max_; }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  uint64_t max_bytes() const { return max_; }

  class Lease {
   public:
    Lease() = default;
    explicit Lease(InflightBudget& b) : budget_(&b) {}
    Lease(Lease&& o) noexcept : budget_(o.budget_), held_(o.held_) {
      o.budget_ = nullptr;
      o.held_ = 0;
    }
    Lease& operator=(Lease&& o) noexcept {
      if (this != &o) {
        release();
        budget_ = o.budget_;
        held_ = o.held_;
        o.budget_ = nullptr;
        o.held_ = 0;
      }
      return *this;
    }
    ~Lease() { release(); }

    void add(uint64_t n) {
      if (!budget_ || n == 0) return;
      budget_->used_.fetch_add(n, std::memory_order_relaxed);
      held_ += n;
    }
    void release() {
      if (budget_ && held_) budget_->used_.fetch_sub(held_, std::memory_order_relaxed);
      held_ = 0;
    }
    uint64_t held() const { return held_; }
    bool active() const { return budget_ != nullptr; }

   private:
    InflightBudget* budget_ = nullptr;
    uint64_t held_ = 0;
  };

 private:
  const uint64_t max_;
  std::atomic<uint64_t> used_{0};
};

}  // namespace posthouse::net
