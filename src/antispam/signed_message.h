// The message as DKIM-style signatures see it, and the steps of checking one signature that
// DKIM (dkim_verifier.h) and ARC (arc_verifier.h) share: the header hash input (RFC 6376 3.7),
// the key lookup, the body hash and the public-key check.
//
// Contract: SignedMessage keeps views into nothing (it copies the fields it splits) and caches
// each canonical body the first time it is asked for; one thread at a time. The functions are
// pure but for the DNS lookup, which blocks as the given net::DnsLookup does.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "antispam/dkim_key.h"
#include "antispam/dkim_signature.h"
#include "antispam/dkim_verifier.h"
#include "mime/dkim_canonical.h"
#include "net/dns.h"

namespace posthouse::antispam {

class SignedMessage {
 public:
  SignedMessage(std::string_view raw, std::size_t max_fields);
  const mime::DkimSplit& split() const { return split_; }
  // Field names, lower case and trimmed, one per field of split().
  const std::vector<std::string>& names() const { return names_; }
  // The canonical body, computed once per canonicalization.
  const std::string& body(mime::DkimCanon c);

 private:
  mime::DkimSplit split_;
  std::vector<std::string> names_;
  std::array<std::optional<std::string>, 2> bodies_;
};

inline constexpr std::size_t kNoField = static_cast<std::size_t>(-1);

// The header hash input (RFC 6376 3.7) of `sig`: the fields h= names, each name's instances
// taken from the bottom up, a name with no instance left contributing nothing (over-signing),
// then the signature's own field with b= emptied (sig.unsigned_value) and without its CRLF.
// `own` is that field's index, never one of the selected fields; kNoField when the field is
// not in the message yet (a signer), and then `own_name` names it.
std::string header_hash_input(const SignedMessage& m, const DkimSignature& sig, std::size_t own,
                              std::string_view own_name = {});

// The key record for d= and s=, or the result that ends the check: no record (NXDOMAIN, no TXT,
// none parsable) is a permerror, a failed lookup a temperror. At most limits.max_txt_records
// records are read.
struct KeyLookup {
  std::optional<DkimKeyRecord> key;
  DkimResult result = DkimResult::kPermError;
  std::string reason;
};
KeyLookup lookup_key(const DkimSignature& sig, const net::DnsLookup& dns,
                     const DkimVerifyLimits& limits);

// Checks the parsed signature of field `own` after its syntax: the key (lookup, t=s policy),
// l=, the body hash, the signature over the header hash input. Fills out.result (pass, fail,
// temperror, permerror), out.reason, out.testing and the body byte counts.
void check_parsed_signature(SignedMessage& m, std::size_t own, const DkimSignature& sig,
                            const net::DnsLookup& dns, const DkimVerifyLimits& limits,
                            DkimVerification& out);

}  // namespace posthouse::antispam
