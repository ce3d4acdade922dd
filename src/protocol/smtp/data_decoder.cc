#include "protocol/smtp/data_decoder.h"

#include <cstring>

namespace posthouse::smtp {

using base::Errc;
using base::make_error;

void DataDecoder::reset() {
  state_ = State::kLineStart;
  clean_start_ = true;
  size_ = line_len_ = bare_lf_count_ = 0;
  too_big_ = long_line_ = false;
}

base::Status DataDecoder::result() const {
  if (too_big_) return make_error(Errc::kTooLarge, "message exceeds the size limit", "size");
  if (bare_lf_count_ && opts_.bare_lf == BareLf::kReject)
    return make_error(Errc::kInvalid, "bare LF in message; lines must end with CRLF", "bare_lf");
  if (long_line_) return make_error(Errc::kLimit, "message line too long", "line");
  return {};
}

void DataDecoder::emit(std::string& out, std::string_view bytes) {
  size_ += bytes.size();
  if (opts_.max_bytes && size_ > opts_.max_bytes) too_big_ = true;
  // Once refused, nothing more is kept: the body is going to be rejected anyway.
  if (too_big_ || (bare_lf_count_ && opts_.bare_lf == BareLf::kReject)) return;
  out.append(bytes);
}

void DataDecoder::end_line(std::string& out, bool crlf) {
  if (!crlf) ++bare_lf_count_;
  emit(out, "\r\n");
  line_len_ = 0;
  clean_start_ = crlf;
  state_ = State::kLineStart;
}

size_t DataDecoder::feed(std::string_view in, std::string& out) {
  size_t i = 0;
  const size_t n = in.size();
  while (i < n && state_ != State::kDone) {
    char c = in[i];
    switch (state_) {
      case State::kLineStart:
        if (c == '.') {
          state_ = State::kDot;  // the stuffing dot is dropped (RFC 5321 4.5.2)
          ++i;
        } else {
          state_ = State::kMid;
        }
        break;
      case State::kMid: {
        // Fast path: copy the run up to the next CR or LF in one append. Two memchr calls
        // (vectorised in libc) beat a byte loop; the CR search stops at the LF.
        const char* base = in.data();
        const void* lf = std::memchr(base + i, '\n', n - i);
        size_t lf_pos = lf ? static_cast<const char*>(lf) - base : n;
        const void* cr = std::memchr(base + i, '\r', lf_pos - i);
        size_t j = cr ? static_cast<const char*>(cr) - base : lf_pos;
        if (j > i) {
          emit(out, in.substr(i, j - i));
          line_len_ += j - i;
          if (opts_.max_line && line_len_ > opts_.max_line) long_line_ = true;
          i = j;
        }
        if (i < n) {
          if (in[i] == '\n') {
            end_line(out, false);
          } else {
            state_ = State::kCr;
          }
          ++i;
        }
        break;
      }
      case State::kDot:
        if (c == '\r') {
          state_ = State::kDotCr;
          ++i;
        } else if (c == '\n') {
          end_line(out, false);  // "." + bare LF: an empty content line, never the end
          ++i;
        } else {
          state_ = State::kMid;
        }
        break;
      case State::kCr:
      case State::kDotCr:
        if (c == '\n') {
          if (state_ == State::kDotCr && clean_start_) {
            state_ = State::kDone;
            ++i;
            break;
          }
          end_line(out, true);
          ++i;
        } else {
          // A bare CR is data; the current byte is processed again in kMid.
          emit(out, "\r");
          ++line_len_;
          state_ = State::kMid;
        }
        break;
      case State::kDone:
        break;
    }
  }
  return i;
}

}  // namespace posthouse::smtp
