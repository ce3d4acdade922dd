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

// The hot path. Copies whole runs of ordinary CRLF lines with one append: one memchr per line
// finds the LF; only a line starting with '.', a bare LF, or the end of the chunk leaves the
// run. A bare CR inside a line is data, so CRs need no search of their own. A CR that ends the
// chunk is held back (kCr): the LF that makes it a line end may come in the next chunk.
size_t DataDecoder::scan_lines(std::string_view in, size_t i, std::string& out) {
  const char* base = in.data();
  const size_t n = in.size();
  size_t run = i;
  while (true) {
    const void* lfp = std::memchr(base + i, '\n', n - i);
    if (!lfp) {
      size_t end = base[n - 1] == '\r' ? n - 1 : n;
      line_len_ += end - i;
      if (opts_.max_line && line_len_ > opts_.max_line) long_line_ = true;
      emit(out, in.substr(run, end - run));
      if (end < n) state_ = State::kCr;
      return n;
    }
    size_t lf = static_cast<const char*>(lfp) - base;
    bool crlf = lf > i && base[lf - 1] == '\r';
    size_t content_end = crlf ? lf - 1 : lf;
    line_len_ += content_end - i;
    if (opts_.max_line && line_len_ > opts_.max_line) long_line_ = true;
    if (!crlf) {
      emit(out, in.substr(run, content_end - run));
      end_line(out, false);
      return lf + 1;
    }
    line_len_ = 0;
    clean_start_ = true;
    i = lf + 1;
    if (i < n && base[i] != '.') continue;  // the next line is ordinary: extend the run
    emit(out, in.substr(run, i - run));
    state_ = State::kLineStart;
    return i;
  }
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
      case State::kMid:
        i = scan_lines(in, i, out);
        break;
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
