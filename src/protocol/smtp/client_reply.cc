#include "protocol/smtp/client_reply.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace posthouse::smtp {

using base::Errc;
using base::Error;

namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// "x.y.z " at the start of a reply text, x matching the reply class (RFC 3463).
std::size_t enhanced_status_length(std::string_view text, int code) {
  std::size_t i = 0;
  if (text.empty() || text[0] != static_cast<char>('0' + code / 100)) return 0;
  ++i;
  for (int part = 0; part < 2; ++part) {
    if (i >= text.size() || text[i] != '.') return 0;
    ++i;
    std::size_t start = i;
    while (i < text.size() && digit(text[i]) && i - start < 3) ++i;
    if (i == start) return 0;
  }
  if (i < text.size() && text[i] != ' ') return 0;
  return i;
}

}  // namespace

std::string ServerReply::summary() const {
  std::string out = fmt::format("{}", code);
  if (!status.empty()) out += " " + status;
  if (!lines.empty() && !lines[0].empty()) out += " " + lines[0];
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

base::Result<bool> ReplyParser::feed(std::string_view line) {
  if (line.size() < 3 || !digit(line[0]) || !digit(line[1]) || !digit(line[2])) {
    return Error(Errc::kInvalid, "malformed reply line");
  }
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (code < 200 || code > 599 || line[1] > '5') {
    return Error(Errc::kInvalid, fmt::format("invalid reply code {}", line.substr(0, 3)));
  }
  bool last = true;
  if (line.size() > 3) {
    if (line[3] == '-') {
      last = false;
    } else if (line[3] != ' ') {
      return Error(Errc::kInvalid, "malformed reply line");
    }
  }
  if (!cur_.lines.empty() && code != cur_.code) {
    return Error(Errc::kInvalid, "reply code changes within a multiline reply");
  }
  if (cur_.lines.size() >= max_lines_) return Error(Errc::kTooLarge, "reply has too many lines");
  cur_.code = code;
  std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
  if (cur_.lines.empty()) {
    std::size_t n = enhanced_status_length(text, code);
    if (n > 0) {
      cur_.status = std::string(text.substr(0, n));
      text = base::trim(text.substr(n));
    }
  }
  cur_.lines.emplace_back(text);
  return last;
}

ServerReply ReplyParser::take() {
  ServerReply r = std::move(cur_);
  cur_ = ServerReply{};
  return r;
}

Extensions parse_ehlo(const ServerReply& r) {
  Extensions e;
  for (std::size_t i = 1; i < r.lines.size(); ++i) {
    std::string line = upper(base::trim(r.lines[i]));
    auto words = base::split(line, ' ');
    if (words.empty()) continue;
    std::string_view kw = words[0];
    if (kw == "PIPELINING") {
      e.pipelining = true;
    } else if (kw == "STARTTLS") {
      e.starttls = true;
    } else if (kw == "8BITMIME") {
      e.eight_bit_mime = true;
    } else if (kw == "SMTPUTF8") {
      e.smtputf8 = true;
    } else if (kw == "ENHANCEDSTATUSCODES") {
      e.enhanced_status_codes = true;
    } else if (kw == "DSN") {
      e.dsn = true;
    } else if (kw == "SIZE") {
      e.has_size = true;
      if (words.size() < 2) continue;
      uint64_t v = 0;
      bool ok = !words[1].empty() && words[1].size() <= 19;
      for (char c : words[1]) {
        if (!digit(c)) ok = false;
        else v = v * 10 + static_cast<uint64_t>(c - '0');
      }
      if (ok) e.size = v;
    } else if (kw == "AUTH") {
      for (std::size_t w = 1; w < words.size() && e.auth.size() < 20; ++w) {
        if (!words[w].empty()) e.auth.emplace_back(words[w]);
      }
    }
  }
  return e;
}

std::string greeting_domain(const ServerReply& r) {
  if (r.lines.empty()) return "";
  std::string_view first = base::trim(r.lines[0]);
  auto sp = first.find(' ');
  return base::to_lower(first.substr(0, sp));
}

}  // namespace posthouse::smtp
