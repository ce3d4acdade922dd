// Password hashing and verification for every login (SMTP/IMAP/POP3 AUTH, panel, CLI).
//
// Contract:
// - New hashes are argon2id in libsodium's PHC string form ("$argon2id$v=19$m=...").
// - verify() also accepts hashes imported from other servers, in Dovecot's scheme-prefixed
//   form: "{ARGON2ID}$argon2id$...", "{BLF-CRYPT}$2y$...", "{SHA512-CRYPT}$6$..." (and the
//   same without the prefix). Imported and weaker-parameter hashes verify but report
//   needs_rehash, so the caller re-hashes with the current parameters on the next good login.
// - The stored value kDisabledHash (or an empty one) never verifies: an account without a
//   usable password (e.g. a postmaster created without one).
// - Error messages never contain the password or the hash.
// - Thread-safe. Hashing costs `memlimit` bytes and real CPU: run it off the I/O threads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace posthouse::auth {

inline constexpr std::string_view kDisabledHash = "!";

struct PasswordOptions {
  std::size_t min_length = 10;    // in bytes of UTF-8 (config: auth.password_min_length)
  std::size_t max_length = 1024;  // bounds the work done on hostile input
  // libsodium crypto_pwhash limits; defaults are OPSLIMIT/MEMLIMIT_INTERACTIVE (2, 64 MiB).
  unsigned long long opslimit = 2;
  std::size_t memlimit = 64u << 20;
};

// Checks the minimum policy for a new password: length bounds, no control characters,
// not a single repeated character. kInvalid with field "password" on failure.
base::Status check_password_policy(std::string_view password, const PasswordOptions& opts);

// argon2id hash of password with opts' limits. kInternal only if libsodium fails (out of memory).
base::Result<std::string> hash_password(std::string_view password, const PasswordOptions& opts);

struct VerifyResult {
  bool ok = false;
  bool needs_rehash = false;  // meaningful only when ok
};

// Verifies password against a stored hash in any supported form. Unknown schemes and
// malformed hashes verify false (never throw, never crash).
VerifyResult verify_password(std::string_view password, std::string_view stored,
                             const PasswordOptions& opts);

}  // namespace posthouse::auth
