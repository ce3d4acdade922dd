// Greylisting (RFC 6647): the first message of an unknown (client network, envelope sender,
// recipient) triplet is deferred with 451 4.7.1; a sender that retries after the delay is let
// through, and its network is then let through for a while for any recipient. Real MTAs
// retry; most spam engines do not. Used by LocalGateway for the recipients whose domain's
// spam policy has greylisting on, when no rspamd is configured (rspamd greylists itself).
//
// Contract:
// - The network is the client's /24 (IPv4) or /64 (IPv6): large senders retry from another
//   address of their pool. An IPv4-mapped IPv6 client is IPv4. Senders and recipients are
//   compared without case.
// - check() lets a message through, without recording a try, when: the client is on a DNS
//   allow list (dnswl); its network is allowed for the sender's domain; or the sender's domain
//   was verified (SPF or DKIM pass: verified_domain) and that domain has passed greylisting
//   before ("good history"). Otherwise every recipient's triplet is tried: the message is
//   deferred while any of them is new (first try), younger than `delay`, or older than
//   delay + retry_window (it starts over). When all pass, the network + sender domain (and
//   the verified domain) are allowed for allow_for seconds, refreshed by later passes.
// - Deferral text: "Greylisted: please try again in N seconds" (N ≥ 1; "1 second").
// - Stale rows are expired at most once per hour, from check().
// - Thread-safe (the store comes from the caller's ServicePool lease).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/greylist_store.h"

namespace posthouse::delivery {

struct GreylistSettings {
  int64_t delay = 300;             // seconds a retry must wait
  int64_t retry_window = 2 * 86400;  // after the delay, how long a retry is awaited
  int64_t allow_for = 36 * 86400;  // how long a network / domain stays let through
};

struct GreylistRequest {
  std::string client_ip;
  std::string sender;  // the envelope sender; "" for the null sender
  std::vector<std::string> recipients;
  std::string verified_domain;  // a sender domain SPF or DKIM passed for; "" none
  bool dnswl = false;           // the client is on a DNS allow list
};

struct GreylistOutcome {
  bool defer = false;
  std::string why;  // deferral: the reply text; passing: what let it through (for the log)
};

// "192.0.2.0/24", "2001:db8:1:2::/64"; "" when `ip` is no address.
std::string greylist_network(std::string_view ip);

class Greylist {
 public:
  explicit Greylist(GreylistSettings s) : s_(s) {}
  base::Result<GreylistOutcome> check(store::GreylistStore& store, const GreylistRequest& r,
                                      int64_t now);
  const GreylistSettings& settings() const { return s_; }

 private:
  GreylistSettings s_;
  std::atomic<int64_t> expired_at_{0};
};

}  // namespace posthouse::delivery
