// libFuzzer target: POP3 command lines and the multi-line byte-stuffing encoder.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/pop3/codec.h"
#include "protocol/text.h"

using namespace posthouse;

// Reverses byte-stuffing of a CRLF multi-line body (test oracle).
static std::string unstuff(std::string_view s) {
  std::string out;
  bool start = true;
  for (size_t i = 0; i < s.size(); ++i) {
    if (start && s[i] == '.') {
      if (i + 1 < s.size() && s[i + 1] == '.') ++i;
    }
    out += s[i];
    start = s[i] == '\n';
  }
  return out;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  protocol::LineFramer framer(255);
  std::string_view rest = in;
  while (!rest.empty()) {
    auto ev = framer.next(rest);
    if (ev.kind == protocol::LineFramer::Kind::kNeedMore && ev.consumed == 0) break;
    if (ev.kind == protocol::LineFramer::Kind::kLine) {
      auto r = pop3::parse_command(ev.line);
      if (!r.ok()) {
        std::string w = pop3::error_reply(r.error());
        if (w.find('\n') != w.size() - 1) __builtin_trap();
      } else if (r->initial) {
        (void)protocol::decode_sasl_plain(*r->initial);
      }
    }
    rest.remove_prefix(ev.consumed);
  }
  // Encoder: the stuffed body never contains a terminator line before the end and
  // unstuffs back to the input (for CRLF-only input).
  bool crlf_only = true;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) crlf_only = false;
    if (in[i] == '\r' && (i + 1 >= in.size() || in[i + 1] != '\n')) crlf_only = false;
  }
  pop3::MultilineEncoder enc;
  std::string out;
  size_t step = size % 7 + 1;
  for (size_t i = 0; i < in.size(); i += step) enc.feed(in.substr(i, step), out);
  enc.finish(out);
  std::string_view body(out);
  size_t term = body.find("\r\n.\r\n");
  if (body != ".\r\n" && term != body.size() - 5) __builtin_trap();
  if (crlf_only && !in.empty()) {
    std::string expect(in);
    if (expect.size() < 2 || expect.substr(expect.size() - 2) != "\r\n") expect += "\r\n";
    if (unstuff(body.substr(0, body.size() - 3)) != expect) __builtin_trap();
  }
  (void)pop3::top_prefix(in, static_cast<uint32_t>(size));
  return 0;
}
