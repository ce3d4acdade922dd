#include "base/ids.h"

#include <sodium.h>

#include <cstdlib>
#include <vector>

namespace posthouse::base {
namespace {
void ensure_sodium() {
  static const bool ok = [] { return sodium_init() >= 0; }();
  if (!ok) std::abort();
}
}  // namespace

std::string random_hex(std::size_t n) {
  ensure_sodium();
  std::vector<unsigned char> buf(n);
  randombytes_buf(buf.data(), n);
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), buf.data(), n);
  out.resize(n * 2);
  return out;
}

std::string random_token(std::size_t n) {
  ensure_sodium();
  std::vector<unsigned char> buf(n);
  randombytes_buf(buf.data(), n);
  std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), buf.data(), n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0') == std::string::npos ? out.size() : out.find('\0'));
  return out;
}

std::string random_password() {
  ensure_sodium();
  static constexpr char kAlphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out;
  for (int i = 0; i < 20; ++i) out += kAlphabet[randombytes_uniform(sizeof(kAlphabet) - 1)];
  return out;
}

std::string session_id() { return "s-" + random_hex(4); }

}  // namespace posthouse::base
