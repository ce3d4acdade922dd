// Random identifiers and secrets from libsodium's CSPRNG. Thread-safe.
#pragma once

#include <cstddef>
#include <string>

namespace posthouse::base {

// n random bytes as lowercase hex (2n characters).
std::string random_hex(std::size_t n_bytes);
// A URL-safe random token of n bytes (base64url, no padding).
std::string random_token(std::size_t n_bytes);
// A human-typable password: 20 chars from an unambiguous alphabet.
std::string random_password();
// Short id for correlating log lines of one session or request ("s-1a2b3c4d").
std::string session_id();

}  // namespace posthouse::base
