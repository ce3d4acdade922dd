// ARC sealing (RFC 8617 section 5.1): the three header fields of the next ARC set for a message
// this server forwards (aliases to remote addresses, forwards, lists).
//
// Contract:
// - arc_seal() is pure but for OpenSSL: give it the message as it will leave (CRLF or LF
//   lines), the validation of its chain made on receipt (arc_verify(), same message), this
//   server's authserv-id and the Authentication-Results it produced, and the key. It returns
//   "ARC-Seal: ...\r\nARC-Message-Signature: ...\r\nARC-Authentication-Results: ...\r\n" to
//   prepend, in that order (the newest set on top). Thread-safe.
// - cv= is the validation's result: none (no chain), pass, or fail; a failed chain is sealed
//   over the new set alone (5.1.2). Errors (nothing to prepend): the chain already carries
//   cv=fail at its top (5.1 step 2: sealing is pointless), 50 sets already, a validation that
//   failed only for a temporary DNS reason (retry rather than seal a fail for good), no results
//   to carry, ARC-Seal in the signed fields, a key that is not RSA or is unreadable.
// - The fields are in the suite's standardized form (tags in alphabetical order: AS a b cv d i
//   s t, AMS a b bh c d h i s t; a=rsa-sha256, c=relaxed/relaxed), folded at 78 columns.
// - The private key is only used to sign; it never appears in an error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "antispam/arc_verifier.h"
#include "base/result.h"

namespace posthouse::antispam {

struct ArcSealKey {
  std::string domain;       // d=
  std::string selector;     // s=
  std::string private_pem;  // RSA, PEM (as queue::DkimKey holds it); secret
};

struct ArcSealRequest {
  std::string authserv_id;  // this server's, as in its Authentication-Results
  std::string results;      // the resinfo list after the authserv-id ("spf=pass ...; dkim=...")
  // Fields the AMS signs (lower case), in order; empty: those of mime::kDkimSignedFields and
  // the DKIM-Signature fields the message has, every instance.
  std::vector<std::string> signed_fields;
  int64_t now = 0;  // t=
};

struct ArcSeal {
  uint32_t instance = 0;
  ArcResult cv = ArcResult::kNone;
  std::string aar;   // "ARC-Authentication-Results: i=...\r\n"
  std::string ams;   // "ARC-Message-Signature: ...\r\n"
  std::string seal;  // "ARC-Seal: ...\r\n"
  std::string fields() const { return seal + ams + aar; }
};

base::Result<ArcSeal> arc_seal(std::string_view message, const ArcVerification& validation,
                               const ArcSealRequest& request, const ArcSealKey& key);

// The results a server's own Authentication-Results fields carry for `authserv_id`, joined in
// message order ("arc=none; spf=pass ...; dkim=pass ..."), as the ARC suite consolidates them;
// "" when there is none. For a caller whose results are in the message already.
std::string arc_collect_results(std::string_view message, std::string_view authserv_id);

}  // namespace posthouse::antispam
