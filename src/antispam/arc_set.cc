#include "antispam/arc_set.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace posthouse::antispam {

using base::Errc;
using base::Error;

namespace {

bool fws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void skip_fws(std::string_view s, std::size_t& pos) {
  while (pos < s.size() && fws(s[pos])) ++pos;
}

Error aar_error(std::string message, Errc code = Errc::kInvalid) {
  return Error(code, "ARC-Authentication-Results: " + std::move(message), "arc");
}

enum Member { kAar, kAms, kSeal };
constexpr std::string_view kMemberNames[] = {"ARC-Authentication-Results", "ARC-Message-Signature",
                                             "ARC-Seal"};

}  // namespace

base::Result<ArcAuthResults> parse_arc_auth_results(std::string_view value, std::size_t max_bytes) {
  if (value.size() > max_bytes) {
    return aar_error(fmt::format("field longer than {} bytes", max_bytes), Errc::kTooLarge);
  }
  std::size_t pos = 0;
  skip_fws(value, pos);
  if (pos >= value.size() || value[pos] != 'i') return aar_error("does not start with i=");
  ++pos;
  skip_fws(value, pos);
  if (pos >= value.size() || value[pos] != '=') return aar_error("does not start with i=");
  ++pos;
  skip_fws(value, pos);
  ArcAuthResults out;
  std::size_t digits = 0;
  uint64_t n = 0;
  while (pos < value.size() && value[pos] >= '0' && value[pos] <= '9') {
    if (++digits > 10) return aar_error("instance i= is not a number");
    n = n * 10 + static_cast<uint64_t>(value[pos++] - '0');
  }
  if (digits == 0) return aar_error("instance i= is not a number");
  skip_fws(value, pos);
  if (pos >= value.size() || value[pos] != ';') return aar_error("no ';' after i=");
  ++pos;
  if (n > kMaxArcInstances || n == 0) {
    return aar_error(fmt::format("instance i={} is outside 1..{}", n, kMaxArcInstances));
  }
  out.instance = static_cast<uint32_t>(n);
  std::string_view payload = value.substr(pos);
  while (!payload.empty() && fws(payload.front())) payload.remove_prefix(1);
  while (!payload.empty() && fws(payload.back())) payload.remove_suffix(1);
  std::size_t id_end = 0;
  while (id_end < payload.size() && !fws(payload[id_end]) && payload[id_end] != ';' &&
         payload[id_end] != '(') {
    ++id_end;
  }
  if (id_end == 0) return aar_error("no authserv-id after i=");
  out.authserv_id = std::string(payload.substr(0, id_end));
  out.payload = std::string(payload);
  return out;
}

ArcChain collect_arc_sets(const SignedMessage& m, const ArcLimits& limits) {
  ArcChain chain;
  std::array<std::array<std::size_t, 3>, kMaxArcInstances + 1> at;
  for (auto& slots : at) slots.fill(kNoField);
  std::vector<ArcSet> parsed(kMaxArcInstances + 1);
  auto broken = [&chain](std::string why) {
    if (chain.error.empty()) chain.error = std::move(why);
  };
  const auto& names = m.names();
  std::size_t fields = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    int member = names[i] == "arc-authentication-results" ? kAar
                 : names[i] == "arc-message-signature"    ? kAms
                 : names[i] == "arc-seal"                 ? kSeal
                                                          : -1;
    if (member < 0) continue;
    if (++fields > 3 * kMaxArcInstances) {
      broken(fmt::format("more than {} ARC fields", 3 * kMaxArcInstances));
      break;
    }
    const std::string& value = m.split().fields[i].value;
    uint32_t instance = 0;
    ArcSet one;
    if (member == kAar) {
      auto r = parse_arc_auth_results(value, limits.max_aar_bytes);
      if (!r) {
        broken(r.error().message);
        continue;
      }
      instance = r->instance;
      one.results = std::move(*r);
    } else {
      auto kind = member == kAms ? SignatureField::kArcMessageSignature : SignatureField::kArcSeal;
      auto s = parse_signature_field(kind, value, limits.signature);
      if (!s) {
        broken(s.error().message);
        continue;
      }
      instance = s->instance;
      if (instance == 0 || instance > kMaxArcInstances) {
        broken(fmt::format("{}: instance i={} is outside 1..{}", kMemberNames[member], instance,
                           kMaxArcInstances));
        continue;
      }
      (member == kAms ? one.ams_sig : one.seal_sig) = std::move(*s);
    }
    if (at[instance][member] != kNoField) {
      broken(fmt::format("two {} fields with i={}", kMemberNames[member], instance));
      continue;
    }
    at[instance][member] = i;
    ArcSet& slot = parsed[instance];
    if (member == kAar) slot.results = std::move(one.results);
    if (member == kAms) slot.ams_sig = std::move(one.ams_sig);
    if (member == kSeal) slot.seal_sig = std::move(one.seal_sig);
    chain.highest = std::max(chain.highest, instance);
  }
  const uint32_t n = chain.highest;
  if (n > 0 && at[n][kSeal] != kNoField && parsed[n].seal_sig.chain_validation == "fail") {
    chain.terminated = true;
    chain.error = fmt::format("ARC-Seal i={} says cv=fail: the chain was already broken", n);
  }
  for (uint32_t k = 1; k <= n; ++k) {
    for (int member : {kAar, kAms, kSeal}) {
      if (at[k][member] == kNoField) {
        broken(fmt::format("ARC set i={} has no {}", k, kMemberNames[member]));
      }
    }
    if (at[k][kSeal] == kNoField) continue;
    const std::string& cv = parsed[k].seal_sig.chain_validation;
    if (k == 1 ? cv != "none" : cv != "pass") {
      broken(fmt::format("ARC-Seal i={} has cv={} (must be {})", k, cv, k == 1 ? "none" : "pass"));
    }
  }
  if (!chain.error.empty()) return chain;
  for (uint32_t k = 1; k <= n; ++k) {
    ArcSet& s = parsed[k];
    s.instance = k;
    s.aar = at[k][kAar];
    s.ams = at[k][kAms];
    s.seal = at[k][kSeal];
    chain.sets.push_back(std::move(s));
  }
  return chain;
}

std::string arc_seal_hash_input(const SignedMessage& m, const ArcChain& chain, uint32_t before,
                                const ArcNewSet& set) {
  const auto& fields = m.split().fields;
  std::string data;
  for (const ArcSet& s : chain.sets) {
    if (s.instance >= before) break;
    for (std::size_t f : {s.aar, s.ams, s.seal}) {
      data += mime::dkim_relaxed_header(fields[f].name, fields[f].value);
    }
  }
  data += mime::dkim_relaxed_header(set.aar_name, set.aar_value);
  data += mime::dkim_relaxed_header(set.ams_name, set.ams_value);
  data += mime::dkim_relaxed_header(set.seal_name, set.seal_unsigned_value);
  data.resize(data.size() - 2);
  return data;
}

}  // namespace posthouse::antispam
