#include "mime/cte.h"

#include "base/strings.h"

namespace posthouse::mime {

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

}  // namespace

base::Result<CteDecoder> CteDecoder::make(std::string_view encoding) {
  CteDecoder d;
  if (encoding.empty() || base::iequals(encoding, "7bit") || base::iequals(encoding, "8bit") ||
      base::iequals(encoding, "binary")) {
    d.kind_ = Kind::kIdentity;
  } else if (base::iequals(encoding, "base64")) {
    d.kind_ = Kind::kBase64;
  } else if (base::iequals(encoding, "quoted-printable")) {
    d.kind_ = Kind::kQp;
  } else {
    return base::Error(base::Errc::kInvalid, "unknown content-transfer-encoding", "cte");
  }
  return d;
}

void CteDecoder::feed(std::string_view in, bool last, std::string& out) {
  switch (kind_) {
    case Kind::kIdentity:
      out += in;
      return;
    case Kind::kBase64:
      for (unsigned char c : in) {
        if (done_) return;
        if (c == '=') {
          done_ = true;
          return;
        }
        int v = b64_value(c);
        if (v < 0) continue;
        acc_ = (acc_ << 6) | static_cast<uint32_t>(v);
        bits_ += 6;
        if (bits_ >= 8) {
          bits_ -= 8;
          out += static_cast<char>((acc_ >> bits_) & 0xFF);
        }
      }
      return;
    case Kind::kQp:
      break;
  }
  // Quoted-printable: an escape split across chunks is held back (at most 2 bytes).
  std::string joined;
  if (!carry_.empty()) {
    joined = carry_ + std::string(in);
    carry_.clear();
    in = joined;
  }
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '=') {
      out += c;
      continue;
    }
    if (!last && i + 2 >= in.size()) {
      carry_ = std::string(in.substr(i));
      return;
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
}

base::Result<std::string> decode_cte(std::string_view encoding, std::string_view data) {
  auto d = PH_TRY(CteDecoder::make(encoding));
  std::string out;
  out.reserve(data.size());
  d.feed(data, true, out);
  return out;
}

}  // namespace posthouse::mime
