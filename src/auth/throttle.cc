#include "auth/throttle.h"

#include <algorithm>

#include "base/strings.h"

namespace posthouse::auth {

namespace {
std::string ip_key(std::string_view ip) { return "ip:" + std::string(ip); }
std::string account_key(std::string_view a) { return "acct:" + base::to_lower(a); }
}  // namespace

LoginThrottle::Decision LoginThrottle::decide(const Entry& e, Clock::time_point now) const {
  Decision d;
  if (now - e.last > opts_.window) return d;
  if (e.locked_until > now) {
    d.locked = true;
    d.retry_after = std::chrono::ceil<std::chrono::seconds>(e.locked_until - now);
    return d;
  }
  int over = e.failures - opts_.free_failures;
  if (over > 0) {
    auto delay = opts_.base_delay * (1LL << std::min(over - 1, 20));
    d.delay = std::min<std::chrono::milliseconds>(delay, opts_.max_delay);
  }
  return d;
}

LoginThrottle::Decision LoginThrottle::check(std::string_view ip, std::string_view account,
                                             Clock::time_point now) {
  std::lock_guard lock(mu_);
  Decision out;
  for (const std::string& key : {ip_key(ip), account_key(account)}) {
    auto it = map_.find(key);
    if (it == map_.end()) continue;
    Decision d = decide(it->second, now);
    out.locked = out.locked || d.locked;
    out.delay = std::max(out.delay, d.delay);
    out.retry_after = std::max(out.retry_after, d.retry_after);
  }
  return out;
}

void LoginThrottle::bump(const std::string& key, Clock::time_point now) {
  Entry& e = map_[key];
  if (e.failures > 0 && now - e.last > opts_.window) e = Entry{};
  ++e.failures;
  e.last = now;
  if (e.failures >= opts_.lock_after) {
    e.locked_until = now + opts_.lock_for;
    e.failures = opts_.lock_after - 1;  // after the lock, the next failure locks again at once
  }
}

void LoginThrottle::record_failure(std::string_view ip, std::string_view account,
                                   Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (map_.size() >= opts_.max_entries) sweep(now);
  if (map_.size() >= opts_.max_entries) return;  // still full of live entries: do not grow
  bump(ip_key(ip), now);
  if (!account.empty()) bump(account_key(account), now);
}

void LoginThrottle::record_success(std::string_view ip, std::string_view account,
                                   Clock::time_point now) {
  std::lock_guard lock(mu_);
  // A success clears the account's record; the IP's stays, so one good account cannot be
  // used to reset guessing against others from the same address.
  map_.erase(account_key(account));
}

void LoginThrottle::sweep(Clock::time_point now) {
  for (auto it = map_.begin(); it != map_.end();) {
    bool expired = now - it->second.last > opts_.window && it->second.locked_until <= now;
    it = expired ? map_.erase(it) : std::next(it);
  }
}

std::size_t LoginThrottle::entries() const {
  std::lock_guard lock(mu_);
  return map_.size();
}

}  // namespace posthouse::auth
