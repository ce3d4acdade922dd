// Incremental IMAP command framer (RFC 3501/9051 section 2.2, 4.3; RFC 7888 LITERAL+/-,
// RFC 3516 BINARY literal8).
//
// Contract: feed() takes bytes from the network and consumes at most one command (so pipelined
// bytes after it stay with the caller). It collects the command's lines and literal data into
// one buffer owned by the reader, and reports:
//   kNeedMore  - all of `in` consumed, feed more;
//   kContinue  - a synchronising literal {n} was announced and accepted: the server must send
//                continuation() ("+ Ready") now, then keep feeding;
//   kCommand   - a complete command: call parse() (command.h) or raw();
//   kError     - a limit or framing error: reply error() — tagged BAD (tag()) when !fatal(),
//                "* BYE" and close when fatal() (the stream can no longer be trusted, e.g. an
//                over-long line or a non-synchronising literal over the limit).
// The next feed() after kCommand/kError starts a new command (views into the buffer die then).
// Every input is bounded by ReaderLimits; memory use is bounded by max_command. Not
// thread-safe; one per connection. IDLE's DONE and AUTHENTICATE continuation lines are not
// commands: read those with protocol::LineFramer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace posthouse::imap {

struct ReaderLimits {
  size_t max_line = 64 * 1024;                 // one line segment, literals excluded
  uint64_t max_literal = 64ull << 20;          // APPENDLIMIT; larger sync literals get BAD [TOOBIG]
  uint64_t max_nonsync_literal = 64ull << 20;  // 4096 when advertising LITERAL- (RFC 7888)
  size_t max_command = (64ull << 20) + (256 * 1024);  // whole command, literals included
  size_t max_literals = 64;                           // literals per command
};

class CommandReader {
 public:
  enum class Status { kNeedMore, kContinue, kCommand, kError };
  struct Step {
    Status status = Status::kNeedMore;
    size_t consumed = 0;
  };

  explicit CommandReader(ReaderLimits limits = {}) : limits_(limits) {}

  Step feed(std::string_view in);

  // The complete command after kCommand: lines joined without their CRLF, except that each
  // literal keeps its announcement and CRLF ("{5}\r\n", "{5+}\r\n", "~{5}\r\n") followed by its
  // bytes. parse() in
  // command.h understands this form and unescapes quoted strings in place (hence mutable).
  std::string& raw() { return buf_; }
  // The tag of the current command if one was read (for BAD replies); "*" otherwise.
  std::string_view tag() const;
  const base::Error& error() const { return error_; }
  bool fatal() const { return fatal_; }
  // True while a command is partly read (e.g. an announced literal not yet complete).
  bool in_progress() const { return !buf_.empty() || literal_left_ > 0; }
  void set_limits(const ReaderLimits& l) { limits_ = l; }
  const ReaderLimits& limits() const { return limits_; }

  static constexpr std::string_view continuation() { return "+ Ready for literal data\r\n"; }

 private:
  Step fail(Step s, base::Error e, bool fatal);
  void start_over();

  ReaderLimits limits_;
  std::string buf_;
  size_t line_start_ = 0;
  uint64_t literal_left_ = 0;
  size_t literals_ = 0;
  bool finished_ = false;  // last step was kCommand/kError
  bool fatal_ = false;
  base::Error error_;
};

}  // namespace posthouse::imap
