// Peer text made safe for a log line, an error message or a header comment. Pure, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace posthouse::base {

// Printable ASCII kept, any other byte as '?', cut to at most max bytes ("..." marks the cut).
std::string printable_ascii(std::string_view s, std::size_t max);

}  // namespace posthouse::base
