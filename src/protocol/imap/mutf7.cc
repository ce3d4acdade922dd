#include "protocol/imap/mutf7.h"

#include <cstdint>

#include "protocol/text.h"

namespace posthouse::imap {

using base::Errc;
using base::make_error;

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

base::Error bad(std::string m) { return make_error(Errc::kInvalid, std::move(m), "mailbox"); }

// Next code point of valid UTF-8 (validated by the caller).
uint32_t next_cp(std::string_view s, size_t& i) {
  auto c = static_cast<unsigned char>(s[i]);
  int n = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
  uint32_t cp = n == 0 ? c : n == 1 ? (c & 0x1F) : n == 2 ? (c & 0x0F) : (c & 0x07);
  for (int k = 1; k <= n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += n + 1;
  return cp;
}

void put_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

base::Result<std::string> mutf7_encode(std::string_view utf8) {
  if (!protocol::valid_utf8(utf8)) return bad("Mailbox name is not valid UTF-8");
  std::string out;
  out.reserve(utf8.size() + 8);
  uint32_t bits = 0;
  int nbits = 0;
  bool shifted = false;
  auto flush = [&] {
    if (!shifted) return;
    if (nbits > 0) out += kAlphabet[(bits << (6 - nbits)) & 0x3F];
    out += '-';
    shifted = false;
    bits = 0;
    nbits = 0;
  };
  auto put16 = [&](uint32_t unit) {
    bits = (bits << 16) | unit;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out += kAlphabet[(bits >> nbits) & 0x3F];
    }
    bits &= (1u << nbits) - 1;
  };
  size_t i = 0;
  while (i < utf8.size()) {
    uint32_t cp = next_cp(utf8, i);
    if (cp < 0x20 || cp == 0x7F) return bad("Control character in mailbox name");
    if (cp < 0x7F) {
      flush();
      out += static_cast<char>(cp);
      if (cp == '&') out += '-';
      continue;
    }
    if (!shifted) {
      out += '&';
      shifted = true;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put16(0xD800 | (cp >> 10));
      put16(0xDC00 | (cp & 0x3FF));
    } else {
      put16(cp);
    }
  }
  flush();
  return out;
}

base::Result<std::string> mutf7_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  bool last_was_shift = false;
  while (i < in.size()) {
    auto c = static_cast<unsigned char>(in[i]);
    if (c < 0x20 || c > 0x7E) return bad("Invalid character in mailbox name");
    if (c != '&') {
      out += static_cast<char>(c);
      ++i;
      last_was_shift = false;
      continue;
    }
    ++i;
    if (i < in.size() && in[i] == '-') {
      out += '&';
      ++i;
      last_was_shift = false;
      continue;
    }
    if (last_was_shift) return bad("Adjacent modified UTF-7 shifts");
    uint32_t bits = 0;
    int nbits = 0;
    uint32_t high = 0;  // pending high surrogate
    size_t units = 0;
    while (true) {
      if (i >= in.size()) return bad("Unterminated modified UTF-7 shift");
      char d = in[i++];
      if (d == '-') break;
      int v = protocol::base64_digit(d, ',');
      if (v < 0) return bad("Invalid modified UTF-7 character");
      bits = (bits << 6) | static_cast<uint32_t>(v);
      nbits += 6;
      if (nbits >= 16) {
        nbits -= 16;
        uint32_t unit = (bits >> nbits) & 0xFFFF;
        bits &= (1u << nbits) - 1;
        ++units;
        if (high) {
          if (unit < 0xDC00 || unit > 0xDFFF) return bad("Invalid UTF-16 surrogate pair");
          put_utf8(out, 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00));
          high = 0;
        } else if (unit >= 0xD800 && unit <= 0xDBFF) {
          high = unit;
        } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
          return bad("Invalid UTF-16 surrogate pair");
        } else if (unit >= 0x20 && unit <= 0x7E) {
          return bad("Printable ASCII must not be encoded in modified UTF-7");
        } else if (unit < 0x20 || unit == 0x7F) {
          return bad("Control character in mailbox name");
        } else {
          put_utf8(out, unit);
        }
      }
    }
    if (units == 0) return bad("Empty modified UTF-7 shift");
    if (high) return bad("Invalid UTF-16 surrogate pair");
    if (nbits >= 6 || bits != 0) return bad("Invalid modified UTF-7 padding");
    last_was_shift = true;
  }
  return out;
}

base::Status check_mailbox_name(std::string_view name, char delimiter, size_t max_len) {
  if (name.empty()) return bad("Empty mailbox name");
  if (name.size() > max_len) return make_error(Errc::kTooLarge, "Mailbox name too long", "mailbox");
  if (!protocol::valid_utf8(name)) return bad("Mailbox name is not valid UTF-8");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7F) return bad("Control character in mailbox name");
  }
  if (delimiter) {
    size_t start = 0;
    while (true) {
      size_t pos = name.find(delimiter, start);
      std::string_view part =
          name.substr(start, pos == std::string_view::npos ? name.npos : pos - start);
      if (part.empty()) return bad("Empty hierarchy level in mailbox name");
      if (part == "." || part == "..") return bad("Mailbox name component . or .. not allowed");
      if (pos == std::string_view::npos) break;
      start = pos + 1;
    }
  }
  return {};
}

}  // namespace posthouse::imap
