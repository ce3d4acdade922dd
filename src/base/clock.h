// The clocks of the server: Unix seconds for everything stored or compared with stored times
// (sessions, tokens, delegations, retention, queue schedules), and a monotonic clock for
// throttles and caches.
//
// Contract:
// - unix_now() and steady_now() are the real clocks plus one process-wide offset, which is
//   zero unless a test sets it. Tests move time forward instead of sleeping: `serve` with
//   `[testing] clock_file` reads the offset (whole seconds, decimal text) from that file
//   whenever the file changes (use_clock_file); unit tests call set_clock_offset().
// - The offset only moves forward while the process runs, so the monotonic clock stays
//   monotonic.
// - Thread-safe. Without a clock file the cost is one relaxed atomic load per call.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace posthouse::base {

int64_t unix_now();
std::chrono::steady_clock::time_point steady_now();

// Testing seams (see the contract). set_clock_offset ignores a value below the current one.
void set_clock_offset(int64_t seconds);
int64_t clock_offset();
void use_clock_file(std::string path);

}  // namespace posthouse::base
