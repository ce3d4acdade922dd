#include "protocol/text.h"

#include <cstring>

namespace posthouse::protocol {

using base::Errc;
using base::make_error;

bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= n) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    p += n + 1;
  }
  return true;
}

LineFramer::Event LineFramer::next(std::string_view buf) {
  Event ev;
  const size_t scan = std::min(buf.size(), max_line_);
  const void* lf = scan ? std::memchr(buf.data(), '\n', scan) : nullptr;
  if (discarding_) {
    const void* any = buf.empty() ? nullptr : std::memchr(buf.data(), '\n', buf.size());
    if (!any) {
      ev.consumed = buf.size();  // drop everything: still inside the over-long line
      return ev;
    }
    discarding_ = false;
    ev.consumed = static_cast<const char*>(any) - buf.data() + 1;
    return ev;  // kNeedMore with bytes consumed: caller loops
  }
  if (!lf) {
    if (buf.size() >= max_line_) {
      discarding_ = true;
      ev.kind = Kind::kTooLong;
      ev.consumed = buf.size();
      // The LF may already be in the buffer beyond max_line_: stop discarding right there.
      const void* any = std::memchr(buf.data(), '\n', buf.size());
      if (any) {
        discarding_ = false;
        ev.consumed = static_cast<const char*>(any) - buf.data() + 1;
      }
    }
    return ev;
  }
  size_t pos = static_cast<const char*>(lf) - buf.data();
  ev.kind = Kind::kLine;
  ev.consumed = pos + 1;
  if (pos > 0 && buf[pos - 1] == '\r') {
    ev.line = buf.substr(0, pos - 1);
  } else {
    ev.line = buf.substr(0, pos);
    ev.bare_lf = true;
  }
  return ev;
}

base::Result<VerbLine> split_verb_line(std::string_view line, size_t max_line) {
  if (line.size() + 2 > max_line)
    return make_error(Errc::kTooLarge, "Command line too long", "line");
  if (line.find_first_of(std::string_view("\0\r\n", 3)) != std::string_view::npos)
    return make_error(Errc::kInvalid, "NUL, CR or LF in command line", "line");
  VerbLine v;
  size_t sp = line.find(' ');
  v.verb = line.substr(0, sp);
  if (sp != std::string_view::npos) {
    v.rest = line.substr(sp + 1);
    v.has_rest = true;
  }
  return v;
}

int base64_digit(char c, char c63) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == c63) return 63;
  return -1;
}

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}  // namespace

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

base::Result<std::string> base64_decode(std::string_view in, size_t max_out) {
  if (in.size() % 4 != 0) return make_error(Errc::kInvalid, "invalid base64 length");
  if (in.size() / 4 * 3 > max_out + 2) return make_error(Errc::kTooLarge, "base64 data too long");
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = in[i + k];
      if (c == '=' && i + 4 == in.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad) return make_error(Errc::kInvalid, "invalid base64 padding");
      v[k] = base64_digit(c);
      if (v[k] < 0) return make_error(Errc::kInvalid, "invalid base64 character");
    }
    uint32_t w = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += char(w >> 16);
    if (pad < 2) out += char((w >> 8) & 0xFF);
    if (pad < 1) out += char(w & 0xFF);
    // Non-canonical encodings (bits set in padding positions) are refused: one string, one form.
    if ((pad == 1 && (w & 0xFF)) || (pad == 2 && (w & 0xFFFF)))
      return make_error(Errc::kInvalid, "invalid base64 padding");
  }
  if (out.size() > max_out) return make_error(Errc::kTooLarge, "base64 data too long");
  return out;
}

base::Result<PlainCredentials> decode_sasl_plain(std::string_view b64) {
  std::string raw = PH_TRY(base64_decode(b64, 255 + 255 + 1024 + 2));
  size_t a = raw.find('\0');
  size_t b = a == std::string::npos ? a : raw.find('\0', a + 1);
  if (b == std::string::npos || raw.find('\0', b + 1) != std::string::npos)
    return make_error(Errc::kInvalid, "malformed PLAIN message");
  PlainCredentials c;
  c.authzid = raw.substr(0, a);
  c.authcid = raw.substr(a + 1, b - a - 1);
  c.password = raw.substr(b + 1);
  if (c.authcid.empty() || c.password.empty())
    return make_error(Errc::kInvalid, "empty user name or password");
  if (c.authzid.size() > 255 || c.authcid.size() > 255 || c.password.size() > 1024)
    return make_error(Errc::kTooLarge, "credentials too long");
  if (!valid_utf8(c.authzid) || !valid_utf8(c.authcid) || !valid_utf8(c.password))
    return make_error(Errc::kInvalid, "credentials are not UTF-8");
  return c;
}

base::Result<std::string> decode_sasl_login_step(std::string_view b64) {
  std::string raw = PH_TRY(base64_decode(b64, 1024));
  if (raw.find('\0') != std::string::npos || !valid_utf8(raw))
    return make_error(Errc::kInvalid, "malformed LOGIN response");
  return raw;
}

}  // namespace posthouse::protocol
