// SPF macros (RFC 7208 section 7): syntax check and expansion of domain-specs and explanation
// strings. Pure apart from the `p` macro, whose value the caller computes lazily (it needs DNS).
//
// Contract:
// - kDomainSpec strings: macro-literals are visible ASCII except '%'; the letters c, r, t are
//   errors (they belong to explanations). kExplanation strings may hold SP and use every letter.
// - Errors are Errc::kInvalid with a message naming the offending text (a permerror for SPF),
//   or Errc::kTooLarge when the output would exceed kMaxExpansion bytes.
// - Upper-case macro letters URL-escape their value (everything but ALPHA DIGIT - . _ ~).
// - Thread-compatible: the context is read only, `validated_name` is called at most once per
//   expansion that needs it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "antispam/ip_address.h"
#include "base/result.h"

namespace posthouse::antispam {

inline constexpr std::size_t kMaxExpansion = 4096;

enum class MacroMode { kDomainSpec, kExplanation };

struct SpfMacroContext {
  std::string_view sender;         // s: local-part@domain (postmaster@helo for the null sender)
  std::string_view local_part;     // l
  std::string_view sender_domain;  // o
  std::string_view domain;         // d: the domain being checked now
  IpAddress ip;                    // i, c, v
  std::string_view helo;           // h
  std::string_view receiver = "unknown";  // r
  std::int64_t timestamp = 0;             // t
  std::function<std::string()> validated_name;  // p; "unknown" when absent
};

base::Status check_macro_string(std::string_view text, MacroMode mode);
base::Result<std::string> expand_macros(std::string_view text, const SpfMacroContext& ctx,
                                        MacroMode mode);

}  // namespace posthouse::antispam
