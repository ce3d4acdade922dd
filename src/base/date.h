// Dates as mail headers write them (RFC 5322 section 3.3).
#pragma once

#include <cstdint>
#include <string>

namespace posthouse::base {

// "Tue, 08 Dec 2026 00:30:18 +0000" for a Unix time; with local_zone, in the machine's time
// zone with its offset (as a Received field's date usually is). English day and month names
// whatever the locale.
std::string rfc5322_date(int64_t unix_seconds, bool local_zone = false);

}  // namespace posthouse::base
