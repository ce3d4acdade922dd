// DATA-phase body decoder (RFC 5321 4.1.1.4, 4.5.2): a state machine over raw bytes that
// removes dot-stuffing and finds the end of data.
//
// Contract (the SMTP smuggling class, 2023): the body ends ONLY at <CRLF>.<CRLF> (a "." line
// whose own terminator and whose preceding line's terminator are both CRLF, or "." CRLF as the
// very first line). <LF>.<LF>, <LF>.<CR><LF>, <CR><LF>.<LF>, <CR>.<CR> never end data and never
// let the bytes after them be read as commands. A bare CR is always data. A bare LF ends a body
// line: with BareLf::kNormalize it is stored as CRLF; with BareLf::kReject the message is
// refused. Whatever goes wrong (too big, bare LF, long line), the decoder keeps consuming up
// to the real end marker so the reply stays in sync with the client; result() then says why.
// Not thread-safe; one per transaction; reset() to reuse. No allocation per byte: output is
// appended in runs to the caller's string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace posthouse::smtp {

enum class BareLf { kNormalize, kReject };

struct DataOptions {
  uint64_t max_bytes = 50ull << 20;  // decoded message size limit (SIZE); 0 = unlimited
  BareLf bare_lf = BareLf::kNormalize;
  size_t max_line = 0;  // decoded body line limit without CRLF (RFC 5321: 998); 0 = unlimited
};

class DataDecoder {
 public:
  explicit DataDecoder(DataOptions opts = {}) : opts_(opts) {}

  // Consumes bytes from `in`, appending decoded body bytes to `out` (unless the message is
  // already refused: what was appended before the refusal is an unspecified prefix, to be
  // discarded). Returns the number of bytes consumed: less than in.size() only when the
  // end marker was found, in which case the rest belongs to the next command (PIPELINING).
  size_t feed(std::string_view in, std::string& out);

  bool done() const { return state_ == State::kDone; }
  // Decoded bytes counted so far (also those discarded after the limit was passed).
  uint64_t size() const { return size_; }
  bool saw_bare_lf() const { return bare_lf_count_ > 0; }
  // After done(): ok, or kTooLarge (field "size"), kInvalid (field "bare_lf"), kLimit (field
  // "line"). Map with error_reply(). Valid before done() too (first problem so far).
  base::Status result() const;
  void reset();

 private:
  enum class State : uint8_t { kLineStart, kMid, kDot, kCr, kDotCr, kDone };
  void emit(std::string& out, std::string_view bytes);
  size_t scan_lines(std::string_view in, size_t i, std::string& out);
  void end_line(std::string& out, bool crlf);

  DataOptions opts_;
  State state_ = State::kLineStart;
  bool clean_start_ = true;  // current line began after CRLF (or at the start of data)
  uint64_t size_ = 0;
  uint64_t line_len_ = 0;
  uint64_t bare_lf_count_ = 0;
  bool too_big_ = false;
  bool long_line_ = false;
};

}  // namespace posthouse::smtp
