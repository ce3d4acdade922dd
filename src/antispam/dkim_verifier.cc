#include "antispam/dkim_verifier.h"

#include <fmt/format.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include "base/strings.h"
#include "mime/dkim_canonical.h"

namespace posthouse::antispam {

namespace {

std::string sha256(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}

// The message as every signature of it sees it, canonical bodies computed once each.
class Message {
 public:
  Message(std::string_view raw, std::size_t max_fields)
      : split_(mime::dkim_split(raw, max_fields)) {
    names_.reserve(split_.fields.size());
    for (const auto& f : split_.fields) names_.push_back(base::to_lower(base::trim(f.name)));
  }
  const mime::DkimSplit& split() const { return split_; }
  const std::vector<std::string>& names() const { return names_; }
  const std::string& body(mime::DkimCanon c) {
    auto& slot = bodies_[c == mime::DkimCanon::kSimple ? 0 : 1];
    if (!slot) slot = mime::dkim_canonical_body(c, split_.body);
    return *slot;
  }

 private:
  mime::DkimSplit split_;
  std::vector<std::string> names_;  // lower case, trimmed
  std::array<std::optional<std::string>, 2> bodies_;
};

// The header hash input (RFC 6376 3.7): the fields h= names, each name's instances taken
// from the bottom up, a name with no instance left contributing nothing (over-signing), then
// the signature's own field with b= emptied and without its CRLF. The field being verified is
// never one of the selected fields.
std::string header_hash_input(const Message& m, std::size_t own, const DkimSignature& sig) {
  const auto& fields = m.split().fields;
  const auto& names = m.names();
  std::map<std::string_view, std::size_t> cursor;  // per name: instances below are used up
  std::string data;
  for (const auto& h : sig.headers) {
    auto [it, fresh] = cursor.try_emplace(h, fields.size());
    std::size_t i = it->second;
    while (i > 0) {
      --i;
      if (i != own && names[i] == h) {
        data += mime::dkim_canonical_header(sig.header_canon, fields[i].name, fields[i].value);
        it->second = i;
        break;
      }
      if (i == 0) it->second = 0;
    }
  }
  data += mime::dkim_canonical_header(sig.header_canon, fields[own].name, sig.unsigned_value);
  data.resize(data.size() - 2);
  return data;
}

// The key record for a signature, or the result that ends its check.
struct KeyOrResult {
  std::optional<DkimKeyRecord> key;
  DkimResult result = DkimResult::kPermError;
  std::string reason;
};

KeyOrResult lookup_key(const DkimSignature& sig, const net::DnsLookup& dns, const DkimVerifyLimits& limits) {
  std::string name = sig.selector + "._domainkey." + sig.domain;
  net::DnsAnswer a = dns.lookup(name, net::DnsType::kTxt);
  if (a.status == net::DnsStatus::kTemporary) {
    return {std::nullopt, DkimResult::kTempError,
            fmt::format("key lookup of {} failed: {}", name, a.error)};
  }
  if (a.status != net::DnsStatus::kOk || a.records.empty()) {
    return {std::nullopt, DkimResult::kPermError, fmt::format("no key record at {}", name)};
  }
  std::string first_error;
  for (std::size_t i = 0; i < a.records.size() && i < limits.max_txt_records; ++i) {
    auto rec = parse_dkim_key_record(a.records[i], limits.key);
    if (rec) return {std::move(*rec), DkimResult::kPass, {}};
    if (first_error.empty()) first_error = rec.error().message;
  }
  return {std::nullopt, DkimResult::kPermError, fmt::format("{}: {}", name, first_error)};
}

void check_one(Message& m, std::size_t own, const net::DnsLookup& dns, int64_t now,
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
  auto key = lookup_key(sig, dns, limits);
  if (!key.key) {
    out.result = key.result;
    out.reason = std::move(key.reason);
    return;
  }
  out.testing = key.key->testing;
  if (key.key->strict_identity && sig.identity_domain != sig.domain) {
    out.reason = "key record: t=s, but i= is in a subdomain of d=";
    return;
  }
  const std::string& body = m.body(sig.body_canon);
  out.body_bytes = body.size();
  uint64_t covered = body.size();
  if (sig.body_length) {
    if (*sig.body_length > body.size()) {
      out.result = DkimResult::kFail;
      out.reason =
          fmt::format("l={} is longer than the body ({} bytes)", *sig.body_length, body.size());
      return;
    }
    covered = *sig.body_length;
  }
  out.signed_body_bytes = covered;
  out.partial_body = covered < body.size();
  if (sha256(std::string_view(body).substr(0, covered)) != sig.body_hash) {
    out.result = DkimResult::kFail;
    out.reason = "body hash mismatch";
    return;
  }
  auto ok = dkim_check_signature(*key.key, sig.algorithm, header_hash_input(m, own, sig),
                                 sig.signature, limits.key);
  if (!ok) {
    out.reason = ok.error().message;
    return;
  }
  if (!*ok) {
    out.result = DkimResult::kFail;
    out.reason = "signature did not verify";
    return;
  }
  out.result = DkimResult::kPass;
}

// Comment text: CR, LF and controls dropped, parentheses and backslashes quoted.
std::string comment(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  }
  return out;
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
                                          int64_t now,
                                          const DkimVerifyLimits& limits) {
  Message m(message, limits.max_header_fields);
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

std::string dkim_result_text(const DkimVerification& v) {
  std::string out = fmt::format("dkim={}", dkim_result_name(v.result));
  if (!v.reason.empty()) {
    out += fmt::format(" ({})", comment(v.reason));
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
