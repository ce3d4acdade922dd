#include "auth/credential_cache.h"

#include <sodium.h>

#include "base/strings.h"

namespace posthouse::auth {

CredentialCache::CredentialCache(Options o) : opts_(o) {
  if (sodium_init() < 0) opts_.ttl = std::chrono::seconds(0);  // no randomness: no cache
  randombytes_buf(secret_.data(), secret_.size());
}

CredentialCache::Key CredentialCache::key(std::string_view address,
                                          std::string_view password) const {
  Key k{};
  crypto_generichash_state st;
  crypto_generichash_init(&st, secret_.data(), secret_.size(), k.size());
  std::string a = base::to_lower(address);
  // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
  uint64_t n = a.size();
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(&n), sizeof n);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(a.data()), a.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(password.data()),
                            password.size());
  crypto_generichash_final(&st, k.data(), k.size());
  return k;
}

std::array<unsigned char, 32> CredentialCache::fingerprint(std::string_view stored_hash) {
  std::array<unsigned char, 32> f{};
  crypto_generichash(f.data(), f.size(), reinterpret_cast<const unsigned char*>(stored_hash.data()),
                     stored_hash.size(), nullptr, 0);
  return f;
}

static std::string key_string(const CredentialCache::Key& k) {
  return std::string(reinterpret_cast<const char*>(k.data()), k.size());
}

void CredentialCache::erase_locked(std::unordered_map<std::string, Entry>::iterator it) {
  order_.erase(it->second.order);
  map_.erase(it);
}

bool CredentialCache::lookup(const Key& key, int64_t principal_id, std::string_view stored_hash,
                             Clock::time_point now) {
  if (!enabled()) return false;
  auto f = fingerprint(stored_hash);
  std::lock_guard lock(mu_);
  auto it = map_.find(key_string(key));
  if (it == map_.end()) return false;
  const Entry& e = it->second;
  bool ok = e.principal_id == principal_id && now < e.expires &&
            sodium_memcmp(e.fingerprint.data(), f.data(), f.size()) == 0;
  if (!ok) erase_locked(it);
  return ok;
}

void CredentialCache::insert(const Key& key, int64_t principal_id, std::string_view stored_hash,
                             Clock::time_point now) {
  if (!enabled()) return;
  auto f = fingerprint(stored_hash);
  std::string k = key_string(key);
  std::lock_guard lock(mu_);
  if (auto it = map_.find(k); it != map_.end()) erase_locked(it);
  while (map_.size() >= opts_.max_entries && !order_.empty()) {
    erase_locked(map_.find(order_.front()));
  }
  order_.push_back(k);
  map_.emplace(std::move(k), Entry{principal_id, f, now + opts_.ttl, std::prev(order_.end())});
}

void CredentialCache::forget_principal(int64_t principal_id) {
  std::lock_guard lock(mu_);
  for (auto it = map_.begin(); it != map_.end();) {
    auto next = std::next(it);
    if (it->second.principal_id == principal_id) erase_locked(it);
    it = next;
  }
}

void CredentialCache::forget(const Key& key) {
  std::lock_guard lock(mu_);
  if (auto it = map_.find(key_string(key)); it != map_.end()) erase_locked(it);
}

std::size_t CredentialCache::size() const {
  std::lock_guard lock(mu_);
  return map_.size();
}

}  // namespace posthouse::auth
