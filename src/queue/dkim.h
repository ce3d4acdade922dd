// DKIM signing (RFC 6376) with rsa-sha256 and ed25519-sha256 (RFC 8463), relaxed/relaxed
// canonicalization, and the per-domain keys behind it.
//
// Contract:
// - Canonicalization is mime/dkim_canonical.h, shared with the verifier (antispam/).
// - sign() is pure (OpenSSL for the signature); it returns the
//   "DKIM-Signature: ..." header field (folded, ending in CRLF) to prepend to the message.
// - DkimKeys (dkim_keys.cc) keeps one key per (domain, algorithm) in a store::DkimKeyStore:
//   ensure() creates RSA-2048 and Ed25519 keys the first time a domain needs them. Private
//   keys never leave it except to sign; they are never logged.
// - One DkimKeys per thread at a time, like the store it wraps.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/dkim_key_store.h"

namespace posthouse::queue {

enum class DkimAlgorithm { kRsaSha256, kEd25519Sha256 };
std::string_view dkim_algorithm_name(DkimAlgorithm a);  // "rsa-sha256", "ed25519-sha256"

struct DkimKey {
  DkimAlgorithm algorithm = DkimAlgorithm::kRsaSha256;
  std::string domain;
  std::string selector;
  std::string private_pem;  // secret
  std::string public_b64;   // the p= value of the DNS record
  std::string dns_txt() const;  // "v=DKIM1; k=rsa; p=..."
};

// The DKIM-Signature header for `message` (CRLF lines). Signs the usual headers that are
// present (From always; the message must have one).
base::Result<std::string> dkim_sign(const DkimKey& key, std::string_view message, int64_t now);

// Generates a fresh key pair (RSA 2048 or Ed25519).
base::Result<DkimKey> dkim_generate(DkimAlgorithm a, std::string domain, std::string selector);

class DkimKeys {
 public:
  explicit DkimKeys(store::DkimKeyStore& store) : store_(store) {}
  // The domain's keys, generated and stored first when it has none.
  base::Result<std::vector<DkimKey>> ensure(std::string_view domain, std::string_view selector,
                                            int64_t now);
  base::Result<std::vector<DkimKey>> get(std::string_view domain);

 private:
  store::DkimKeyStore& store_;
};

// A new domain's keys, made when the domain is created (CLI and API) so its DNS records are
// complete from the start. Replaces nothing: keys already stored for the name are kept. A
// failure is logged and not returned: the domain exists anyway, and ensure() makes the keys
// when it is first asked for them (signing, `domain dns`), as for domains made before this.
void create_domain_keys(store::DkimKeyStore& store, std::string_view domain, std::string_view selector);

// Signs `message` with every key (one DKIM-Signature per key, prepended).
std::string dkim_sign_all(const std::vector<DkimKey>& keys, const std::string& message,
                          int64_t now);

}  // namespace posthouse::queue
