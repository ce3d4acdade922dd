// A blocking c-ares channel, shared by every c-ares user (net/ares_dns.h, queue/resolver.h):
// open with the configured server, timeout and tries; drive with poll() until no query is
// pending (c-ares enforces its own timeouts and retries). DNS only, never /etc/hosts.
// One channel per call: thread-safe as long as a channel stays on one thread.
#pragma once

#include <ares.h>

#include <string>

#include "base/result.h"

namespace posthouse::net {

struct DnsOptions {
  std::string server;  // "ip:port" or "" for the system's resolv.conf
  int timeout_ms = 5000;
  int tries = 2;
};

class AresChannel {
 public:
  AresChannel() = default;
  AresChannel(const AresChannel&) = delete;
  AresChannel& operator=(const AresChannel&) = delete;
  ~AresChannel();

  // Errc::kTemporary when c-ares cannot start, kInvalid for a bad server option.
  base::Status open(const DnsOptions& o);
  ares_channel get() const { return ch_; }
  void run();  // until no query is pending

 private:
  ares_channel ch_ = nullptr;
};

}  // namespace posthouse::net
