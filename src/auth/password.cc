#include "auth/password.h"

#include <crypt.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "base/strings.h"

namespace posthouse::auth {
namespace {

using base::Errc;
using base::Error;

bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

// Strips a Dovecot-style "{SCHEME}" prefix; returns the scheme upper-cased ("" if none).
std::string_view split_scheme(std::string_view stored, std::string* scheme) {
  scheme->clear();
  if (!stored.empty() && stored.front() == '{') {
    auto end = stored.find('}');
    if (end != std::string_view::npos) {
      for (char c : stored.substr(1, end - 1)) {
        scheme->push_back(static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c));
      }
      return stored.substr(end + 1);
    }
  }
  return stored;
}

bool verify_argon2(std::string_view password, const std::string& hash) {
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

// crypt_r is reentrant but its state is large (~32 KiB): keep it on the heap.
bool verify_crypt(std::string_view password, const std::string& hash) {
  if (password.find('\0') != std::string_view::npos) return false;
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  std::string pw(password);
  const char* out = crypt_r(pw.c_str(), hash.c_str(), data.get());
  sodium_memzero(pw.data(), pw.size());
  // libxcrypt returns a string starting with '*' on failure instead of NULL.
  if (out == nullptr || out[0] == '*') return false;
  std::size_t n = std::strlen(out);
  return n == hash.size() && sodium_memcmp(out, hash.data(), n) == 0;
}

}  // namespace

base::Status check_password_policy(std::string_view password, const PasswordOptions& opts) {
  if (password.size() < opts.min_length) {
    return Error(Errc::kInvalid,
                 "password must be at least " + std::to_string(opts.min_length) + " characters",
                 "password");
  }
  if (password.size() > opts.max_length) {
    return Error(Errc::kInvalid,
                 "password must be at most " + std::to_string(opts.max_length) + " bytes",
                 "password");
  }
  for (unsigned char c : password) {
    if (c < 0x20 || c == 0x7f) {
      return Error(Errc::kInvalid, "password must not contain control characters", "password");
    }
  }
  if (std::all_of(password.begin(), password.end(),
                  [&](char c) { return c == password.front(); })) {
    return Error(Errc::kInvalid, "password must not be one repeated character", "password");
  }
  return {};
}

base::Result<std::string> hash_password(std::string_view password, const PasswordOptions& opts) {
  if (!sodium_ready()) return Error(Errc::kInternal, "libsodium failed to initialise");
  if (password.size() > opts.max_length) {
    return Error(Errc::kInvalid, "password too long", "password");
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), opts.opslimit, opts.memlimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Error(Errc::kInternal, "password hashing failed (out of memory?)");
  }
  return std::string(out);
}

VerifyResult verify_password(std::string_view password, std::string_view stored,
                             const PasswordOptions& opts) {
  VerifyResult r;
  if (stored.empty() || stored == kDisabledHash || password.size() > opts.max_length) return r;
  if (!sodium_ready()) return r;
  std::string scheme;
  std::string hash(split_scheme(stored, &scheme));
  bool native = scheme.empty() && base::istarts_with(hash, "$argon2id$");
  if ((scheme.empty() || scheme == "ARGON2ID") && base::istarts_with(hash, "$argon2id$")) {
    r.ok = verify_argon2(password, hash);
    r.needs_rehash =
        !native || crypto_pwhash_str_needs_rehash(hash.c_str(), opts.opslimit, opts.memlimit) != 0;
  } else if ((scheme.empty() || scheme == "BLF-CRYPT") &&
             (hash.rfind("$2y$", 0) == 0 || hash.rfind("$2b$", 0) == 0 ||
              hash.rfind("$2a$", 0) == 0)) {
    r.ok = verify_crypt(password, hash);
    r.needs_rehash = true;
  } else if ((scheme.empty() || scheme == "SHA512-CRYPT") && hash.rfind("$6$", 0) == 0) {
    r.ok = verify_crypt(password, hash);
    r.needs_rehash = true;
  }
  if (!r.ok) r.needs_rehash = false;
  return r;
}

}  // namespace posthouse::auth
