#include "delivery/greylist.h"

#include <fmt/format.h>

#include <algorithm>

#include "antispam/ip_address.h"
#include "base/strings.h"

namespace posthouse::delivery {

namespace {

constexpr int64_t kExpiryInterval = 3600;

std::string sender_domain(std::string_view sender) {
  auto at = sender.rfind('@');
  return at == std::string_view::npos ? std::string() : base::to_lower(sender.substr(at + 1));
}

}  // namespace

std::string greylist_network(std::string_view ip) {
  auto a = antispam::IpAddress::parse(ip);
  if (!a) return {};
  int prefix = a->v6 ? 64 : 24;
  // Clear the host bits (whole bytes: both prefixes are byte-aligned).
  for (int i = prefix / 8; i < a->bits() / 8; ++i) a->bytes[i] = 0;
  return fmt::format("{}/{}", a->to_string(), prefix);
}

base::Result<GreylistOutcome> Greylist::check(store::GreylistStore& store,
                                              const GreylistRequest& r, int64_t now) {
  int64_t last = expired_at_.load();
  if (now - last >= kExpiryInterval && expired_at_.compare_exchange_strong(last, now)) {
    (void)PH_TRY(store.expire(now - s_.delay - s_.retry_window - kExpiryInterval, now));
  }
  if (r.dnswl) return GreylistOutcome{false, "client on a DNS allow list"};
  std::string network = greylist_network(r.client_ip);
  if (network.empty()) return GreylistOutcome{false, "no client address"};
  std::string domain = sender_domain(r.sender);
  std::string net_key = network + " " + domain;
  if (PH_TRY(store.allowed(store::GreylistAllow::kNetwork, net_key, now))) {
    return GreylistOutcome{false, "network allowed after an earlier retry"};
  }
  std::string verified = base::to_lower(r.verified_domain);
  if (!verified.empty() && PH_TRY(store.allowed(store::GreylistAllow::kDomain, verified, now))) {
    return GreylistOutcome{false, "verified sender domain with a good history"};
  }
  std::string sender = base::to_lower(r.sender);
  int64_t wait = 0;
  for (const auto& rcpt : r.recipients) {
    std::string recipient = base::to_lower(rcpt);
    auto t = PH_TRY(store.attempt(network, sender, recipient, now));
    int64_t age = now - t.first_seen;
    if (t.tries > 1 && age > s_.delay + s_.retry_window) {
      PH_CHECK(store.restart(network, sender, recipient, now));
      wait = std::max(wait, s_.delay);
    } else if (t.tries == 1 || age < s_.delay) {
      wait = std::max(wait, s_.delay - age);
    } else {
      continue;
    }
    wait = std::max<int64_t>(wait, 1);
  }
  if (wait > 0) {
    return GreylistOutcome{true, fmt::format("Greylisted: please try again in {} second{}", wait,
                                             wait == 1 ? "" : "s")};
  }
  PH_CHECK(store.allow(store::GreylistAllow::kNetwork, net_key, now + s_.allow_for));
  if (!verified.empty()) {
    PH_CHECK(store.allow(store::GreylistAllow::kDomain, verified, now + s_.allow_for));
  }
  return GreylistOutcome{false, "retried after the delay"};
}

}  // namespace posthouse::delivery
