// DKIM tag-lists (RFC 6376 section 3.2), the DKIM-Signature header field (section 3.5) and the
// two ARC fields built on it (RFC 8617 sections 4.1.2 and 4.1.3).
//
// Contract: pure parsers over the sender's bytes; thread-safe. Every error is a permanent
// failure of the signature ("permerror"): Errc::kInvalid, or kTooLarge for a breached limit,
// with a message that names the tag ("DKIM-Signature: tag h= does not include From"), field
// "dkim". Fuzzed by tests/fuzz/dkim_verify_fuzz.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "mime/dkim_canonical.h"

namespace posthouse::antispam {

// One tag-spec: name and value (FWS around both removed, FWS inside the value kept), and
// where the value's part of the text lies: from just after '=' to just before ';' or the end.
struct DkimTag {
  std::string_view name;
  std::string_view value;
  std::size_t after_equals = 0;
  std::size_t end = 0;
};

inline constexpr std::size_t kMaxDkimTags = 64;

// tag-list = tag-spec *(";" tag-spec) [";"]. Refuses a duplicate tag, a name that is not
// ALPHA *(ALPHA / DIGIT / "_"), a spec without '=', an empty spec other than after the last
// ';', control characters in a value, and more than kMaxDkimTags tags. `what` prefixes the
// error texts ("DKIM-Signature", "key record"). Values are views into `text`.
base::Result<std::vector<DkimTag>> parse_dkim_tag_list(std::string_view text,
                                                       std::string_view what);

// The value with every FWS character (SP, HTAB, CR, LF) removed (b=, bh=, p=).
std::string dkim_strip_fws(std::string_view value);

enum class DkimAlgorithm { kRsaSha256, kEd25519Sha256 };
std::string_view dkim_algorithm_text(DkimAlgorithm a);  // "rsa-sha256", "ed25519-sha256"

struct DkimSignatureLimits {
  std::size_t max_value_bytes = 8192;      // the whole field value
  std::size_t max_signed_fields = 128;     // entries of h=
  std::size_t max_signature_bytes = 1024;  // decoded b= (an 8192-bit RSA signature)
};

struct DkimSignature {
  DkimAlgorithm algorithm = DkimAlgorithm::kRsaSha256;
  std::string signature;  // b=, decoded
  std::string body_hash;  // bh=, decoded (32 bytes)
  mime::DkimCanon header_canon = mime::DkimCanon::kSimple;
  mime::DkimCanon body_canon = mime::DkimCanon::kSimple;
  std::string domain;                   // d=, lower case
  std::vector<std::string> headers;     // h=, lower case, in signing order
  std::string identity;                 // i= as written; "@" + d when absent
  std::string identity_domain;          // the domain part of i=, lower case
  std::optional<uint64_t> body_length;  // l= (saturates at UINT64_MAX)
  std::string selector;                 // s=, lower case
  std::optional<int64_t> timestamp;     // t=
  std::optional<int64_t> expiration;    // x=
  std::string b_prefix;  // the first 8 characters of b= as written (RFC 6008 header.b)
  // The field value with b='s value deleted (RFC 6376 3.7): what the header hash covers.
  std::string unsigned_value;
  uint32_t instance = 0;         // ARC fields: i=, the ARC instance (0 for DKIM-Signature)
  std::string chain_validation;  // ARC-Seal: cv= ("none", "pass" or "fail")
};

// The three header fields that carry a signature in this form.
enum class SignatureField { kDkimSignature, kArcMessageSignature, kArcSeal };
std::string_view signature_field_name(SignatureField f);  // "DKIM-Signature", ...

// Parses a DKIM-Signature field value (everything after the colon). Checks: required tags
// v a b bh d h s; v=1; a= rsa-sha256 or ed25519-sha256 (rsa-sha1 is refused, RFC 8301);
// c=; q= offers dns/txt; d= and s= are domain names; h= includes From; i= lies in d=;
// t= and x= are numbers, x= not before t=; bh= is a SHA-256 hash; the limits.
base::Result<DkimSignature> parse_dkim_signature(std::string_view value,
                                                 const DkimSignatureLimits& limits = {});

// Parses a DKIM-Signature (as above) or an ARC field value. ARC-Message-Signature (RFC 8617
// 4.1.2): required tags i a b bh d h s; i= is the instance (1*10 DIGIT; the range is the
// chain's business); v= is ignored like any unknown tag; c= defaults to relaxed/relaxed; h= may
// be empty or have empty entries, need not name From and must not name ARC-Seal; identity is
// "@" + d. ARC-Seal (4.1.3): required tags i a b cv d s;
// h= is refused; cv= is none, pass or fail; bh= and c= play no part (relaxed header
// canonicalization). Both ARC fields accept a=rsa-sha256 only, as dkimpy and OpenARC do.
base::Result<DkimSignature> parse_signature_field(SignatureField kind, std::string_view value,
                                                  const DkimSignatureLimits& limits = {});

// True if `name` is a syntactically valid domain or selector name (LDH labels, '_' allowed,
// 1..63 octets a label, at most 253 in all, ASCII). The caller lower-cases.
bool dkim_valid_dns_name(std::string_view name);

}  // namespace posthouse::antispam
