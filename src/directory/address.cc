#include "directory/address.h"

#include <idn2.h>

#include <cstdlib>
#include <cstring>

#include "base/strings.h"

namespace posthouse::directory {
namespace {

using base::Errc;
using base::Error;

Error invalid(std::string msg, std::string_view field) {
  return Error(Errc::kInvalid, std::move(msg), std::string(field));
}

// Length in bytes of the well-formed UTF-8 sequence at s[i], or 0 if malformed.
std::size_t utf8_len(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  }
  uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
  for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (b(i + k) & 0x3F);
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
      (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
    return 0;
  return n;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_len(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr && c != '\0';
}

}  // namespace

namespace {

// Plain LDH ASCII with no label that has "--" in its 3rd and 4th octets (the form reserved
// for A-labels like "xn--", which only IDNA may judge): IDNA2008 maps such a name to itself
// lower-cased, so libidn2 (and its NFC pass) can be skipped. Most names are like this.
bool plain_ldh(std::string_view s) {
  size_t label_start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      if (i - label_start >= 4 && s[label_start + 2] == '-' && s[label_start + 3] == '-') {
        return false;
      }
      label_start = i + 1;
      continue;
    }
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '-')) {
      return false;
    }
  }
  return true;
}

base::Result<std::string> check_labels(std::string d, std::string_view field) {
  if (d.size() > 253) return invalid("domain is longer than 253 octets", field);
  auto labels = base::split(d, '.');
  if (labels.size() < 2) return invalid("domain '" + d + "' needs at least two labels", field);
  for (auto l : labels) {
    if (l.empty() || l.size() > 63)
      return invalid("domain '" + d + "' has an empty or over-long label", field);
    if (l.front() == '-' || l.back() == '-')
      return invalid("domain '" + d + "' has a label starting or ending with '-'", field);
    for (char c : l) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
        return invalid("domain '" + d + "' has an invalid character", field);
    }
  }
  return d;
}

std::string prepared(std::string_view input) {
  std::string in(base::trim(input));
  if (!in.empty() && in.back() == '.') in.pop_back();  // the root label is implied
  return in;
}

// `in` is prepared() and not empty.
base::Result<std::string> idna_domain(const std::string& in, std::string_view field) {
  if (in.size() > 1000 || !valid_utf8(in)) return invalid("domain is not valid", field);
  char* out = nullptr;
  int rc = idn2_to_ascii_8z(in.c_str(), &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  if (rc != IDN2_OK) {
    return invalid("domain '" + in + "' is not a valid domain name: " + idn2_strerror(rc), field);
  }
  std::string d = base::to_lower(out);
  idn2_free(out);
  return check_labels(std::move(d), field);
}

}  // namespace

namespace detail {
base::Result<std::string> normalize_domain_idna(std::string_view input, std::string_view field) {
  std::string in = prepared(input);
  if (in.empty()) return invalid("domain is empty", field);
  return idna_domain(in, field);
}
}  // namespace detail

base::Result<std::string> normalize_domain(std::string_view input, std::string_view field) {
  std::string in = prepared(input);
  if (in.empty()) return invalid("domain is empty", field);
  if (in.size() <= 253 && plain_ldh(in)) return check_labels(base::to_lower(in), field);
  return idna_domain(in, field);
}

base::Result<Address> parse_address(std::string_view input, std::string_view field) {
  std::string_view s = base::trim(input);
  if (s.size() > 320) return invalid("address is too long", field);
  auto at = s.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == s.size())
    return invalid("address must look like name@domain", field);
  std::string_view local = s.substr(0, at);
  if (local.size() > 64) return invalid("local part is longer than 64 octets", field);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return invalid("local part has a misplaced '.'", field);
  std::string out;
  for (std::size_t i = 0; i < local.size();) {
    char c = local[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      std::size_t n = utf8_len(local, i);
      if (n == 0) return invalid("local part is not valid UTF-8", field);
      out.append(local.substr(i, n));
      i += n;
      continue;
    }
    if (c != '.' && !atext(c))
      return invalid(std::string("local part has an invalid character"), field);
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    ++i;
  }
  Address a;
  a.local = std::move(out);
  a.domain = PH_TRY(normalize_domain(s.substr(at + 1), field));
  return a;
}

base::Status check_text(std::string_view s, std::size_t max_bytes, std::string_view field) {
  if (s.size() > max_bytes)
    return invalid(std::string(field) + " is longer than " + std::to_string(max_bytes) + " bytes",
                   field);
  if (!valid_utf8(s)) return invalid(std::string(field) + " is not valid UTF-8", field);
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f)
      return invalid(std::string(field) + " must not contain control characters", field);
  }
  return {};
}

}  // namespace posthouse::directory
