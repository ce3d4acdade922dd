#include "antispam/signed_message.h"

#include <fmt/format.h>

#include <map>

#include "base/strings.h"
#include "mime/dkim_crypto.h"

namespace posthouse::antispam {

SignedMessage::SignedMessage(std::string_view raw, std::size_t max_fields)
    : split_(mime::dkim_split(raw, max_fields)) {
  names_.reserve(split_.fields.size());
  for (const auto& f : split_.fields) names_.push_back(base::to_lower(base::trim(f.name)));
}

const std::string& SignedMessage::body(mime::DkimCanon c) {
  auto& slot = bodies_[c == mime::DkimCanon::kSimple ? 0 : 1];
  if (!slot) slot = mime::dkim_canonical_body(c, split_.body);
  return *slot;
}

std::string header_hash_input(const SignedMessage& m, const DkimSignature& sig, std::size_t own,
                              std::string_view own_name) {
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
  std::string_view name = own == kNoField ? own_name : std::string_view(fields[own].name);
  data += mime::dkim_canonical_header(sig.header_canon, name, sig.unsigned_value);
  data.resize(data.size() - 2);
  return data;
}

KeyLookup lookup_key(const DkimSignature& sig, const net::DnsLookup& dns,
                     const DkimVerifyLimits& limits) {
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

void check_parsed_signature(SignedMessage& m, std::size_t own, const DkimSignature& sig,
                            const net::DnsLookup& dns, const DkimVerifyLimits& limits,
                            DkimVerification& out) {
  auto key = lookup_key(sig, dns, limits);
  if (!key.key) {
    out.result = key.result;
    out.reason = std::move(key.reason);
    return;
  }
  out.testing = key.key->testing;
  if (key.key->strict_identity && sig.identity_domain != sig.domain) {
    out.result = DkimResult::kPermError;
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
  if (mime::dkim_sha256(std::string_view(body).substr(0, covered)) != sig.body_hash) {
    out.result = DkimResult::kFail;
    out.reason = "body hash mismatch";
    return;
  }
  auto ok = dkim_check_signature(*key.key, sig.algorithm, header_hash_input(m, sig, own),
                                 sig.signature, limits.key);
  if (!ok) {
    out.result = DkimResult::kPermError;
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

}  // namespace posthouse::antispam
