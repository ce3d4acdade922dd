#include "auth/login.h"

#include "base/clock.h"

namespace posthouse::auth {

base::Result<std::chrono::milliseconds> login_admit(LoginThrottle& throttle, const std::string& ip,
                                                    const std::string& account,
                                                    std::chrono::seconds* retry_after) {
  auto d = throttle.check(ip, account, base::steady_now());
  if (retry_after) *retry_after = d.retry_after;
  if (d.locked) return base::Error(base::Errc::kLimit, "too many failed attempts", "locked");
  return d.delay;
}

void login_record(LoginThrottle& throttle, const std::string& ip, const std::string& account,
                  const base::Error* error) {
  auto now = base::steady_now();
  if (!error || error->code == base::Errc::kForbidden) {
    throttle.record_success(ip, account, now);
  } else if (error->code == base::Errc::kUnauthenticated) {
    throttle.record_failure(ip, account, now);
  }
}

}  // namespace posthouse::auth
