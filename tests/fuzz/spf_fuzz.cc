// libFuzzer target: SPF records (antispam/spf_record.h) and macros (antispam/spf_macro.h) from
// the peer's DNS. Oracles: nothing crashes; a parsed record stays within the term limit and its
// format() parses back to an equal record (and formats the same); macro expansion of any text
// succeeds or fails with kInvalid/kTooLarge, and its output never exceeds kMaxExpansion (plus
// the one expansion that crossed it: it is refused, never returned); a string the syntax check
// accepts expands without a syntax error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "antispam/spf_macro.h"
#include "antispam/spf_record.h"

using namespace posthouse;
using namespace posthouse::antispam;

static void check_macros(std::string_view text, MacroMode mode) {
  SpfMacroContext c;
  c.sender = "strong-bad@email.example.com";
  c.local_part = "strong-bad";
  c.sender_domain = "email.example.com";
  c.domain = "email.example.com";
  c.ip = *IpAddress::parse("2001:db8::cb01");
  c.helo = "mx.example.org";
  c.validated_name = [] { return std::string("mx.example.org"); };
  auto syntax = check_macro_string(text, mode);
  auto out = expand_macros(text, c, mode);
  if (out.ok()) {
    if (!syntax.ok() || out->size() > kMaxExpansion) std::abort();
  } else {
    if (out.error().code == base::Errc::kInvalid && syntax.ok()) std::abort();
    if (out.error().code != base::Errc::kInvalid && out.error().code != base::Errc::kTooLarge) {
      std::abort();
    }
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string record = is_spf_record(text) ? std::string(text) : "v=spf1 " + std::string(text);
  auto r = parse_spf_record(record);
  if (r.ok()) {
    if (r->mechanisms.size() + r->unknown_modifiers.size() > kMaxTerms) std::abort();
    std::string formatted = r->format();
    auto again = parse_spf_record(formatted);
    if (!again.ok() || !(*again == *r) || again->format() != formatted) std::abort();
  }
  check_macros(text, MacroMode::kDomainSpec);
  check_macros(text, MacroMode::kExplanation);
  return 0;
}
