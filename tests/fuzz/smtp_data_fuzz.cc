// libFuzzer target: the DATA-phase decoder. Checks that chunking never changes the result and
// that the end of data is only ever found right after <CRLF>.<CRLF>.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/smtp/data_decoder.h"

using namespace posthouse;

// Line-at-a-time reference decoder (normalise mode, no limits): the oracle for the decoder's
// byte-level state machine. Returns true and sets `consumed` if the end marker was found.
static bool reference(std::string_view in, std::string& out, size_t& consumed) {
  bool clean = true;  // previous line ended in CRLF (or start of data)
  size_t i = 0;
  while (true) {
    size_t lf = in.find('\n', i);
    if (lf == std::string_view::npos) return false;
    std::string_view line = in.substr(i, lf - i);
    bool crlf = !line.empty() && line.back() == '\r';
    if (crlf) line.remove_suffix(1);
    i = lf + 1;
    if (clean && crlf && line == ".") {
      consumed = i;
      return true;
    }
    if (!line.empty() && line[0] == '.') line.remove_prefix(1);
    out.append(line);
    out += "\r\n";
    clean = crlf;
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  smtp::DataOptions o;
  o.bare_lf = (mode & 1) ? smtp::BareLf::kReject : smtp::BareLf::kNormalize;
  o.max_bytes = (mode & 2) ? 64 : 0;
  o.max_line = (mode & 4) ? 16 : 0;
  const size_t chunk = (mode >> 3) + 1;

  smtp::DataDecoder whole(o);
  std::string out1;
  size_t n1 = whole.feed(in, out1);

  smtp::DataDecoder parts(o);
  std::string out2;
  size_t n2 = 0;
  while (n2 < in.size() && !parts.done()) {
    std::string_view piece = in.substr(n2, chunk);
    size_t k = parts.feed(piece, out2);
    n2 += k;
    if (k < piece.size()) break;
  }
  if (n1 != n2 || whole.done() != parts.done()) __builtin_trap();
  if (whole.result().ok() != parts.result().ok()) __builtin_trap();
  // The body of a refused message is a prefix whose length depends on chunking; an accepted
  // body must not.
  if (whole.result().ok() && out1 != out2) __builtin_trap();
  if (whole.done()) {
    std::string_view consumed = in.substr(0, n1);
    bool first_line_end = consumed == ".\r\n";
    bool crlf_end = consumed.size() >= 5 && consumed.substr(consumed.size() - 5) == "\r\n.\r\n";
    if (!first_line_end && !crlf_end) __builtin_trap();
  } else if (n1 != in.size()) {
    __builtin_trap();
  }
  if (o.max_bytes && out1.size() > o.max_bytes) __builtin_trap();
  std::string ref_out;
  size_t ref_consumed = 0;
  bool ref_done = reference(in, ref_out, ref_consumed);
  if (ref_done != whole.done()) __builtin_trap();
  if (ref_done && whole.result().ok() && (ref_consumed != n1 || ref_out != out1))
    __builtin_trap();
  return 0;
}
