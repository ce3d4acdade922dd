// Verified-credential cache (like Dovecot's auth_cache): remembers that an address and password
// verified against a principal's stored hash, so a repeated login skips the deliberately slow
// password hash (argon2id) while every other check still runs.
//
// Contract:
// - The key is a keyed BLAKE2b hash (random 32-byte key per process) of the lowercased address
//   and the password: the password is never stored, and the key cannot be recomputed without
//   the process's secret.
// - The value is the principal id and a SHA-256 fingerprint of the stored password hash it
//   verified against. lookup() answers true only when both still match the caller's freshly
//   read row and the entry is younger than the TTL: a changed password (in this process or any
//   other, e.g. the CLI) changes the stored hash and so misses; the caller still checks status
//   (disabled, deleted) and services on every login.
// - Only successes are inserted (insert() after a good verification); a wrong password is
//   never cached, so it always costs a full verification.
// - Bounded: at most max_entries; the oldest entry is evicted first. TTL 0 disables the cache.
// - Thread-safe. Time is passed in, so tests need no clock.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace posthouse::auth {

class CredentialCache {
 public:
  using Clock = std::chrono::steady_clock;
  using Key = std::array<unsigned char, 32>;

  struct Options {
    std::chrono::seconds ttl{300};
    std::size_t max_entries = 10000;
  };

  explicit CredentialCache(Options o);

  bool enabled() const { return opts_.ttl.count() > 0 && opts_.max_entries > 0; }
  Key key(std::string_view address, std::string_view password) const;

  // True when `key` verified against this principal and this stored hash within the TTL.
  // An expired or mismatched entry is dropped.
  bool lookup(const Key& key, int64_t principal_id, std::string_view stored_hash,
              Clock::time_point now);
  // After a successful verification against stored_hash.
  void insert(const Key& key, int64_t principal_id, std::string_view stored_hash,
              Clock::time_point now);
  // Drops every entry of a principal (password changed, disabled, deleted).
  void forget_principal(int64_t principal_id);
  void forget(const Key& key);
  std::size_t size() const;

 private:
  struct Entry {
    int64_t principal_id = 0;
    std::array<unsigned char, 32> fingerprint{};
    Clock::time_point expires;
    std::list<std::string>::iterator order;
  };
  static std::array<unsigned char, 32> fingerprint(std::string_view stored_hash);
  void erase_locked(std::unordered_map<std::string, Entry>::iterator it);

  Options opts_;
  std::array<unsigned char, 32> secret_{};
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> map_;  // key bytes -> entry
  std::list<std::string> order_;                // insertion order, oldest first
};

}  // namespace posthouse::auth
