// Reading a file given on the command line (messages, key lists: dkim-verify, spam-scan): whole, at
// most `max` bytes; false with a one-line error ("cannot read PATH", "PATH is larger than …").
#pragma once

#include <cstddef>
#include <string>

namespace posthouse::app {

constexpr std::size_t kMaxMessageFileBytes = 64u << 20;

bool read_whole_file(const std::string& path, std::size_t max, std::string& out,
                     std::string& error);

// A message file (at most kMaxMessageFileBytes); false after printing "error: …" to stderr.
bool read_message_file(const std::string& path, std::string& out);

}  // namespace posthouse::app
