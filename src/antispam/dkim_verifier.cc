#include "antispam/dkim_verifier.h"

#include <fmt/format.h>

#include <algorithm>

#include "antispam/signed_message.h"
#include "base/strings.h"

namespace posthouse::antispam {

namespace {

void check_one(SignedMessage& m, std::size_t own, const net::DnsLookup& dns, int64_t now,
               const DkimVerifyLimits& limits, DkimVerification& out) {
  auto parsed = parse_dkim_signature(m.split().fields[own].value, limits.signature);
  if (!parsed) {
    out.reason = parsed.error().message;
    return;
  }
  const DkimSignature& sig = *parsed;
  out.domain = sig.domain;
  out.selector = sig.selector;
  out.identity = sig.identity;
  out.algorithm = std::string(dkim_algorithm_text(sig.algorithm));
  out.b_prefix = sig.b_prefix;
  if (sig.timestamp && *sig.timestamp > now + limits.clock_skew) {
    out.reason = "DKIM-Signature: timestamp t= is in the future";
    return;
  }
  if (sig.expiration && *sig.expiration + limits.clock_skew < now) {
    out.reason = "DKIM-Signature: signature expired (x=)";
    return;
  }
  check_parsed_signature(m, own, sig, dns, limits, out);
}

}  // namespace

std::string_view dkim_result_name(DkimResult r) {
  switch (r) {
    case DkimResult::kPass:
      return "pass";
    case DkimResult::kFail:
      return "fail";
    case DkimResult::kNeutral:
      return "neutral";
    case DkimResult::kTempError:
      return "temperror";
    case DkimResult::kPermError:
      return "permerror";
  }
  return "permerror";
}

std::vector<DkimVerification> dkim_verify(std::string_view message, const net::DnsLookup& dns,
                                          int64_t now, const DkimVerifyLimits& limits) {
  SignedMessage m(message, limits.max_header_fields);
  std::vector<DkimVerification> out;
  const bool too_many = m.split().too_many_fields;
  const auto from_fields = std::count(m.names().begin(), m.names().end(), "from");
  for (std::size_t i = 0; i < m.names().size(); ++i) {
    if (m.names()[i] != "dkim-signature") continue;
    DkimVerification& v = out.emplace_back();
    if (too_many) {
      v.reason = fmt::format("message header has more than {} fields", limits.max_header_fields);
    } else if (out.size() > limits.max_signatures) {
      v.result = DkimResult::kNeutral;
      v.reason = fmt::format("not checked: more than {} signatures", limits.max_signatures);
    } else {
      check_one(m, i, dns, now, limits, v);
      // RFC 5322 allows one From. With two, a signature over the lower one would vouch for
      // whatever a reader shows from the upper one (RFC 6376 8.15; dkimpy refuses them too).
      if (v.result == DkimResult::kPass && from_fields > 1) {
        v.result = DkimResult::kFail;
        v.reason = fmt::format("the message has {} From fields", from_fields);
      }
    }
  }
  if (out.empty() && too_many) {
    out.emplace_back().reason =
        fmt::format("message header has more than {} fields", limits.max_header_fields);
  }
  return out;
}

std::string auth_results_comment(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  }
  return out;
}

std::string dkim_result_text(const DkimVerification& v) {
  std::string out = fmt::format("dkim={}", dkim_result_name(v.result));
  if (!v.reason.empty()) {
    out += fmt::format(" ({})", auth_results_comment(v.reason));
  } else if (v.partial_body) {
    out += fmt::format(" (l= leaves {} of {} body bytes unsigned)",
                       v.body_bytes - v.signed_body_bytes, v.body_bytes);
  }
  if (!v.domain.empty()) out += " header.d=" + v.domain;
  if (!v.selector.empty()) out += " header.s=" + v.selector;
  if (!v.algorithm.empty()) out += " header.a=" + v.algorithm;
  if (!v.b_prefix.empty()) out += " header.b=" + v.b_prefix;
  return out;
}

}  // namespace posthouse::antispam
