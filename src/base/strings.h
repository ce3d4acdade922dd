// Small string helpers. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace posthouse::base {

std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
std::string_view trim(std::string_view s);
std::vector<std::string_view> split(std::string_view s, char sep);
// True if s contains CR, LF or NUL (header-injection guard for names that reach mail headers).
bool has_ctl_breaks(std::string_view s);

}  // namespace posthouse::base
