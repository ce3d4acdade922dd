// The hash and the private-key operation of DKIM-style signatures, shared by the DKIM signer
// (queue/dkim.h), the ARC sealer (antispam/arc_sealer.h) and the verifiers (antispam/), so that
// every signer signs exactly as the verifiers check.
//
// Contract: pure (OpenSSL); thread-safe. The private key is never logged or put in an error.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace posthouse::mime {

// SHA-256 of `data`, 32 raw bytes.
std::string dkim_sha256(std::string_view data);

// Signs the header hash input `data` with a PEM private key (PKCS#8 or the traditional RSA
// form): RSASSA-PKCS1-v1_5 with SHA-256, or, when `ed25519`, Ed25519 over SHA-256(data)
// (RFC 8463). Raw signature bytes; Errc::kInternal when the key is unreadable or does not fit.
base::Result<std::string> dkim_sign_data(bool ed25519, std::string_view private_pem,
                                         std::string_view data);

}  // namespace posthouse::mime
