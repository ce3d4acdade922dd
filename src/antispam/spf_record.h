// SPF records (RFC 7208 sections 4.5, 4.6, 5, 6, 12): selection among a domain's TXT records,
// the term parser and a formatter. Pure, thread-safe.
//
// Contract:
// - parse_spf_record() takes one record that is_spf_record() accepted and checks the whole
//   record before anything is evaluated (a syntax error anywhere is a permerror, section
//   4.6): terms are separated by SP only; every byte must be visible ASCII; mechanisms and
//   modifiers are known or well-formed unknown modifiers; domain-specs are valid macro
//   strings ending in a macro or a valid top label; CIDR lengths have no leading zero and stay
//   within 32 / 128; redirect= and exp= appear at most once.
// - Errors are Errc::kInvalid (a syntax error: the caller's permerror) or Errc::kTooLarge
//   (over kMaxRecordBytes or kMaxTerms), each with a message quoting the bad term.
// - format() writes a record that parses back to an equal SpfRecord (the fuzz oracle).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "antispam/ip_address.h"
#include "base/result.h"

namespace posthouse::antispam {

inline constexpr std::size_t kMaxRecordBytes = 4096;  // all strings of the TXT record joined
inline constexpr std::size_t kMaxTerms = 128;

enum class SpfQualifier : char { kPass = '+', kFail = '-', kSoftfail = '~', kNeutral = '?' };
enum class SpfMechanismKind { kAll, kInclude, kA, kMx, kPtr, kIp4, kIp6, kExists };

struct SpfMechanism {
  SpfQualifier qualifier = SpfQualifier::kPass;
  SpfMechanismKind kind = SpfMechanismKind::kAll;
  std::string domain_spec;  // unexpanded; "" means the current domain (a, mx, ptr)
  IpAddress network;        // ip4, ip6
  int cidr4 = 32;           // a, mx, ip4
  int cidr6 = 128;          // a, mx, ip6
  bool operator==(const SpfMechanism&) const = default;
};

struct SpfModifier {
  std::string name;  // as written
  std::string value;
  bool operator==(const SpfModifier&) const = default;
};

struct SpfRecord {
  std::vector<SpfMechanism> mechanisms;  // in record order
  std::optional<std::string> redirect;   // domain-spec
  std::optional<std::string> exp;        // domain-spec
  std::vector<SpfModifier> unknown_modifiers;
  bool has_all() const;
  std::string format() const;
  bool operator==(const SpfRecord&) const = default;
};

// "v=spf1" (any case) followed by SP or the end of the record (section 4.5).
bool is_spf_record(std::string_view txt);
base::Result<SpfRecord> parse_spf_record(std::string_view txt);
std::string_view mechanism_name(SpfMechanismKind kind);  // "all", "include", ...

}  // namespace posthouse::antispam
