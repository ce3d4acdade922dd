#include "app/message_file.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <sstream>

namespace posthouse::app {

bool read_whole_file(const std::string& path, std::size_t max, std::string& out,
                     std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = fmt::format("cannot read {}", path);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  if (out.size() > max) {
    error = fmt::format("{} is larger than {} bytes", path, max);
    return false;
  }
  return true;
}

bool read_message_file(const std::string& path, std::string& out) {
  std::string error;
  if (read_whole_file(path, kMaxMessageFileBytes, out, error)) return true;
  std::cerr << "error: " << error << "\n";
  return false;
}

}  // namespace posthouse::app
