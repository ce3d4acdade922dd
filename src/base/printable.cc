#include "base/printable.h"

namespace posthouse::base {

std::string printable_ascii(std::string_view s, std::size_t max) {
  bool cut = s.size() > max;
  if (cut) s = s.substr(0, max > 3 ? max - 3 : 0);
  std::string out;
  out.reserve(s.size() + 3);
  for (unsigned char c : s) out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  if (cut) out += "...";
  return out;
}

}  // namespace posthouse::base
