// DKIM key records (RFC 6376 section 3.6.1, RFC 8463 section 4) and signature checks with
// the key they publish.
//
// Contract: pure (OpenSSL for the public-key operation); thread-safe. Errors are permanent
// failures of the signature ("permerror"), Errc::kInvalid (kTooLarge for limits) with a
// message that says what is wrong ("key record: unknown key type k=dsa"), field "dkim".
// Fuzzed by tests/fuzz/dkim_verify_fuzz.cc.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "antispam/dkim_signature.h"
#include "base/result.h"

namespace posthouse::antispam {

enum class DkimKeyType { kRsa, kEd25519 };

struct DkimKeyLimits {
  std::size_t max_record_bytes = 4096;
  std::size_t max_key_bytes = 2048;  // decoded p=
  int min_rsa_bits = 1024;           // RFC 8301: smaller keys are never valid
  int max_rsa_bits = 8192;           // bounds the work a sender can make us do
};

struct DkimKeyRecord {
  DkimKeyType type = DkimKeyType::kRsa;  // k=, rsa by default
  std::string public_key;                // p=, decoded; empty when revoked
  bool revoked = false;                  // "p=" with an empty value
  bool testing = false;                  // t=y: the domain is testing DKIM
  bool strict_identity = false;          // t=s: i= must be exactly d=, no subdomain
};

// Parses a key record (a TXT record's strings concatenated). Checks: v=DKIM1 when present
// and then first; h= (when present) allows sha256; k= is rsa or ed25519; s= (when present)
// offers email or *; p= present and base64; the size limits.
base::Result<DkimKeyRecord> parse_dkim_key_record(std::string_view txt,
                                                  const DkimKeyLimits& limits = {});

// Checks `signature` over `data` (the header hash input, RFC 6376 3.7) with the record's key
// for algorithm `a`: RSASSA-PKCS1-v1_5 with SHA-256, or Ed25519 over SHA-256(data) (RFC 8463).
// true: verified; false: did not verify. An error means the key itself is unusable (revoked,
// not the algorithm's key type, unreadable, RSA outside [min_rsa_bits, max_rsa_bits]).
base::Result<bool> dkim_check_signature(const DkimKeyRecord& key, DkimAlgorithm a,
                                        std::string_view data, std::string_view signature,
                                        const DkimKeyLimits& limits = {});

}  // namespace posthouse::antispam
