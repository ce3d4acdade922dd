#include "server/imap/cte.h"

#include "base/strings.h"

namespace posthouse::server::imap {

namespace {

int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string decode_base64(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    if (c == '=') break;
    int v = b64_value(c);
    if (v < 0) continue;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

std::string decode_qp(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '=') {
      out += c;
      continue;
    }
    if (i + 1 < in.size() && in[i + 1] == '\n') {  // soft break, bare LF
      i += 1;
      continue;
    }
    if (i + 2 < in.size() && in[i + 1] == '\r' && in[i + 2] == '\n') {  // soft break
      i += 2;
      continue;
    }
    if (i + 2 < in.size()) {
      int h = hex_value(in[i + 1]), l = hex_value(in[i + 2]);
      if (h >= 0 && l >= 0) {
        out += static_cast<char>(h * 16 + l);
        i += 2;
        continue;
      }
    }
    out += c;
  }
  return out;
}

}  // namespace

base::Result<std::string> decode_cte(std::string_view encoding, std::string_view data) {
  if (encoding.empty() || base::iequals(encoding, "7bit") || base::iequals(encoding, "8bit") ||
      base::iequals(encoding, "binary")) {
    return std::string(data);
  }
  if (base::iequals(encoding, "base64")) return decode_base64(data);
  if (base::iequals(encoding, "quoted-printable")) return decode_qp(data);
  return base::Error(base::Errc::kInvalid, "unknown content-transfer-encoding", "cte");
}

}  // namespace posthouse::server::imap
