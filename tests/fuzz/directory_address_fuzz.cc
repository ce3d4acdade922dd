// libFuzzer target: directory address and domain normalisation (libidn2). Oracles: a
// normalised domain is ASCII lower-case LDH within the documented lengths and normalising it
// again gives it back (idempotent); a parsed address re-parses to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "directory/address.h"

using namespace posthouse;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto d = directory::normalize_domain(in);
  if (d.ok()) {
    if (d->empty() || d->size() > 253) __builtin_trap();
    for (char c : *d) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
      if (!ok) __builtin_trap();
    }
    auto again = directory::normalize_domain(*d);
    if (!again.ok() || *again != *d) __builtin_trap();
  }
  auto a = directory::parse_address(in);
  if (a.ok()) {
    if (a->local.empty() || a->local.size() > 64) __builtin_trap();
    auto again = directory::parse_address(a->str());
    if (!again.ok() || again->str() != a->str()) __builtin_trap();
  }
  (void)directory::check_text(in, 256, "name");
  return 0;
}
