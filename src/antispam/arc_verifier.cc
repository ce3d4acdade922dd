#include "antispam/arc_verifier.h"

#include <fmt/format.h>

#include <map>

#include "base/strings.h"

namespace posthouse::antispam {

namespace {

// Answers each name once per message: ARC sets mostly share a key, and a sender must not make
// us query more than `max` names.
class CachedLookup : public net::DnsLookup {
 public:
  CachedLookup(const net::DnsLookup& inner, std::size_t max) : inner_(inner), max_(max) {}
  net::DnsAnswer lookup(std::string_view name, net::DnsType type) const override {
    std::string key = base::to_lower(name);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    if (cache_.size() >= max_) {
      exceeded_ = true;
      return net::DnsAnswer{net::DnsStatus::kNxDomain, {}, {}};
    }
    return cache_[key] = inner_.lookup(name, type);
  }
  bool exceeded() const { return exceeded_; }

 private:
  const net::DnsLookup& inner_;
  std::size_t max_;
  mutable std::map<std::string, net::DnsAnswer> cache_;
  mutable bool exceeded_ = false;
};

struct Check {
  DkimResult result = DkimResult::kPermError;
  std::string reason;
};

Check check_ams(SignedMessage& m, const ArcSet& s, const CachedLookup& dns, int64_t now,
                const ArcVerifyLimits& limits) {
  const DkimSignature& sig = s.ams_sig;
  if (sig.expiration && *sig.expiration + limits.dkim.clock_skew < now) {
    return {DkimResult::kFail, "signature expired (x=)"};
  }
  DkimVerification out;
  check_parsed_signature(m, s.ams, sig, dns, limits.dkim, out);
  return {out.result, std::move(out.reason)};
}

Check check_seal(const SignedMessage& m, const ArcChain& chain, const ArcSet& s,
                 const CachedLookup& dns, const ArcVerifyLimits& limits) {
  const DkimSignature& sig = s.seal_sig;
  auto key = lookup_key(sig, dns, limits.dkim);
  if (!key.key) return {key.result, std::move(key.reason)};
  const auto& f = m.split().fields;
  std::string input = arc_seal_hash_input(m, chain, s.instance,
                                          {f[s.aar].name, f[s.aar].value, f[s.ams].name,
                                           f[s.ams].value, f[s.seal].name, sig.unsigned_value});
  auto ok = dkim_check_signature(*key.key, sig.algorithm, input, sig.signature, limits.dkim.key);
  if (!ok) return {DkimResult::kPermError, ok.error().message};
  if (!*ok) return {DkimResult::kFail, "signature did not verify"};
  return {DkimResult::kPass, {}};
}

void fail(ArcVerification& v, const Check& c, const CachedLookup& dns, std::string_view what,
          uint32_t instance) {
  v.result = ArcResult::kFail;
  v.temporary = c.result == DkimResult::kTempError;
  v.reason = dns.exceeded() ? "more distinct keys than the lookup limit"
                            : fmt::format("{} i={}: {}", what, instance, c.reason);
}

}  // namespace

std::string_view arc_result_name(ArcResult r) {
  switch (r) {
    case ArcResult::kNone:
      return "none";
    case ArcResult::kPass:
      return "pass";
    case ArcResult::kFail:
      return "fail";
  }
  return "fail";
}

ArcVerification arc_verify(std::string_view message, const net::DnsLookup& dns, int64_t now,
                           const ArcVerifyLimits& limits) {
  ArcVerification v;
  SignedMessage m(message, limits.dkim.max_header_fields);
  ArcChain chain = collect_arc_sets(m, limits.arc);
  v.sets = chain.highest;
  v.terminated = chain.terminated;
  if (m.split().too_many_fields) {
    v.result = ArcResult::kFail;
    v.reason = fmt::format("message header has more than {} fields", limits.dkim.max_header_fields);
    return v;
  }
  if (chain.empty()) return v;
  if (!chain.error.empty()) {
    v.result = ArcResult::kFail;
    v.reason = chain.error;
    return v;
  }
  const ArcSet& latest = chain.sets.back();
  v.domain = latest.seal_sig.domain;
  CachedLookup cached(dns, limits.max_key_lookups);
  if (Check c = check_ams(m, latest, cached, now, limits); c.result != DkimResult::kPass) {
    fail(v, c, cached, "ARC-Message-Signature", latest.instance);
    return v;
  }
  for (auto s = chain.sets.rbegin(); s != chain.sets.rend(); ++s) {
    if (Check c = check_seal(m, chain, *s, cached, limits); c.result != DkimResult::kPass) {
      fail(v, c, cached, "ARC-Seal", s->instance);
      return v;
    }
  }
  for (auto s = chain.sets.rbegin() + 1; s < chain.sets.rend(); ++s) {
    if (check_ams(m, *s, cached, now, limits).result != DkimResult::kPass) {
      v.oldest_pass = s->instance + 1;
      break;
    }
  }
  v.result = ArcResult::kPass;
  v.latest_results = latest.results.payload;
  return v;
}

std::string arc_result_text(const ArcVerification& v, std::string_view remote_ip) {
  std::string out = fmt::format("arc={}", arc_result_name(v.result));
  if (v.result == ArcResult::kPass) {
    out += fmt::format(" (i={} d={}) header.oldest-pass={}", v.sets, v.domain, v.oldest_pass);
  } else if (!v.reason.empty()) {
    out += fmt::format(" ({}{})", v.temporary ? "temporary: " : "", auth_results_comment(v.reason));
  }
  if (!remote_ip.empty()) out += fmt::format(" smtp.remote-ip={}", remote_ip);
  return out;
}

}  // namespace posthouse::antispam
