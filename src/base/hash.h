// Cryptographic hashing helpers (OpenSSL EVP). Pure, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace posthouse::base {

// Lowercase hex SHA-256 (64 characters): blob names, hashed session ids and token secrets.
std::string sha256_hex(std::string_view data);

}  // namespace posthouse::base
