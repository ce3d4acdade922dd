// ARC sets (RFC 8617 sections 4.1, 4.2, 5.1.1): the ARC-Authentication-Results field, the
// three fields of each instance gathered from a message into a chain and checked for structure,
// and the input an ARC-Seal signs.
//
// Contract: pure; thread-safe. Structure problems are not errors of the call but a reason in
// ArcChain::error (the chain then fails validation, RFC 8617 5.2 step 3). Everything the sender
// controls is bounded: at most kMaxArcInstances sets (3 fields each), ARC-Authentication-Results
// up to ArcLimits::max_aar_bytes, signature fields as DkimSignatureLimits says.
// Fuzzed by tests/fuzz/arc_fuzz.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "antispam/dkim_signature.h"
#include "antispam/signed_message.h"
#include "base/result.h"

namespace posthouse::antispam {

inline constexpr uint32_t kMaxArcInstances = 50;  // RFC 8617 4.2.1

struct ArcLimits {
  std::size_t max_aar_bytes = 16384;
  DkimSignatureLimits signature;
};

// ARC-Authentication-Results: [CFWS] "i" [FWS] "=" [FWS] 1*DIGIT [FWS] ";" authres-payload.
// The instance must come first and end in ';' (the suite's aar_i_not_prefixed, aar_i_no_semi);
// the payload must start with an authserv-id. Errors: Errc::kInvalid, kTooLarge over max_bytes.
struct ArcAuthResults {
  uint32_t instance = 0;
  std::string authserv_id;  // as written
  std::string payload;      // everything after "i=N;", FWS at the ends removed
};
base::Result<ArcAuthResults> parse_arc_auth_results(std::string_view value,
                                                    std::size_t max_bytes = 16384);

// One instance: its three fields by index into the SignedMessage, parsed.
struct ArcSet {
  uint32_t instance = 0;
  std::size_t aar = kNoField, ams = kNoField, seal = kNoField;
  ArcAuthResults results;
  DkimSignature ams_sig;
  DkimSignature seal_sig;
};

struct ArcChain {
  std::vector<ArcSet> sets;  // sets[k] is instance k+1; all of 1..N when `error` is empty
  uint32_t highest = 0;      // highest readable instance in 1..50 (0: no ARC field at all)
  bool terminated = false;   // the ARC-Seal of `highest` says cv=fail
  std::string error;         // why the chain is broken (empty: structurally sound)
  bool empty() const { return highest == 0 && error.empty(); }
};

// Gathers the ARC fields of `m`. The chain is broken when a field cannot be parsed (its i=
// unreadable or outside 1..50 included), an instance has a field twice or misses one, the
// instances leave a gap below the highest, or a seal's cv= is not none for i=1 and pass above
// (a cv=fail anywhere). With a terminated chain `error` says so too.
ArcChain collect_arc_sets(const SignedMessage& m, const ArcLimits& limits = {});

// The header hash input of an ARC-Seal (RFC 8617 5.1.1): the relaxed form of AAR, AMS and AS of
// instances 1..`before`-1 from `chain`, then the fields of instance `before` given here (the
// seal's value with b= emptied, sig.unsigned_value, last and without its CRLF). Both the
// verifier and the sealer hash exactly this.
struct ArcNewSet {
  std::string_view aar_name, aar_value;
  std::string_view ams_name, ams_value;
  std::string_view seal_name, seal_unsigned_value;
};
std::string arc_seal_hash_input(const SignedMessage& m, const ArcChain& chain, uint32_t before,
                                const ArcNewSet& set);

}  // namespace posthouse::antispam
