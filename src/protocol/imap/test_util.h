// Test helper (tests only): runs wire bytes through CommandReader and parse_command.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "protocol/imap/command.h"
#include "protocol/imap/reader.h"

namespace posthouse::imap::testing {

// Owns the reader so the parsed Command's views stay valid while the harness lives.
class Harness {
 public:
  explicit Harness(ReaderLimits limits = {}, ParseLimits plimits = {})
      : reader_(limits), plimits_(plimits) {}

  // Feeds `wire` (continuations are accepted automatically); expects exactly one command.
  base::Result<Command> parse(std::string_view wire) {
    size_t off = 0;
    continuations_ = 0;
    while (true) {
      auto st = reader_.feed(wire.substr(off));
      off += st.consumed;
      if (st.status == CommandReader::Status::kContinue) {
        ++continuations_;
        continue;
      }
      if (st.status == CommandReader::Status::kCommand) break;
      if (st.status == CommandReader::Status::kError) return reader_.error();
      return base::Error(base::Errc::kInternal, "incomplete command");
    }
    EXPECT_EQ(off, wire.size()) << "bytes left after the command";
    return parse_command(reader_.raw(), plimits_);
  }
  int continuations() const { return continuations_; }
  CommandReader& reader() { return reader_; }

 private:
  CommandReader reader_;
  ParseLimits plimits_;
  int continuations_ = 0;
};

}  // namespace posthouse::imap::testing
