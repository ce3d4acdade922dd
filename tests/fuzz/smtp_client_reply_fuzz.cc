// libFuzzer target: the SMTP client's reply parser (protocol/smtp/client_reply.h), what a
// remote server answers to the outbound queue. Input: reply lines separated by LF (CR before
// it dropped, as the client's line reader does). Oracles: a complete reply has a code in
// 200..599, at most max_lines lines, and a summary without control characters that starts
// with the code; an error is Invalid or TooLarge and the client starts over on a new
// connection (a new parser); EHLO keywords and the greeting domain are derived without
// exceeding their bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/smtp/client_reply.h"

using namespace posthouse;

static void check_reply(const smtp::ServerReply& r, size_t max_lines) {
  if (r.code < 200 || r.code > 599) std::abort();
  if (r.lines.empty() || r.lines.size() > max_lines) std::abort();
  if (!r.status.empty() && r.status[0] != static_cast<char>('0' + r.code / 100)) std::abort();
  std::string sum = r.summary();
  if (sum.compare(0, 3, std::to_string(r.code)) != 0) std::abort();
  for (char c : sum) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) std::abort();
  }
  auto e = smtp::parse_ehlo(r);
  if (e.auth.size() > 20) std::abort();
  if (e.size != 0 && !e.has_size) std::abort();
  for (char c : smtp::greeting_domain(r)) {
    if (c >= 'A' && c <= 'Z') std::abort();
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t max_lines = 1 + data[0] % 8;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  smtp::ReplyParser p(max_lines);
  size_t pending = 0;  // lines of the reply being read
  while (!in.empty()) {
    size_t lf = in.find('\n');
    std::string_view line = in.substr(0, lf);
    in = lf == std::string_view::npos ? std::string_view() : in.substr(lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto r = p.feed(line);
    if (!r) {
      if (r.error().code != base::Errc::kInvalid && r.error().code != base::Errc::kTooLarge)
        std::abort();
      if (r.error().code == base::Errc::kTooLarge && pending < max_lines) std::abort();
      p = smtp::ReplyParser(max_lines);
      pending = 0;
      continue;
    }
    ++pending;
    if (*r) {
      auto reply = p.take();
      if (reply.lines.size() != pending) std::abort();
      check_reply(reply, max_lines);
      pending = 0;
    }
  }
  return 0;
}
