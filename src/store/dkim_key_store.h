// DkimKeyStore: the per-domain DKIM signing keys (queue::DkimKeys generates them and signs).
//
// Contract:
// - One key per (domain, algorithm); domains are stored lower-case by the caller.
// - insert_absent() writes the keys in one transaction and keeps any key already stored for
//   the same (domain, algorithm): two nodes or threads racing to create a domain's keys end
//   with one set, the first writer's.
// - Private keys are secrets: the store never logs them.
// - Thread safety: one object per thread at a time (it wraps one connection of its backend).
// Implemented by store/sqlite/dkim_key_store.h (table dkim_keys, migration 0050).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace posthouse::store {

struct DkimKeyRecord {
  std::string domain;
  std::string algorithm;  // "rsa-sha256" or "ed25519-sha256"
  std::string selector;
  std::string private_pem;  // secret
  std::string public_b64;
};

class DkimKeyStore {
 public:
  virtual ~DkimKeyStore() = default;

  // The domain's keys, rsa-sha256 first; empty when it has none.
  virtual base::Result<std::vector<DkimKeyRecord>> get(std::string_view domain) = 0;
  virtual base::Status insert_absent(const std::vector<DkimKeyRecord>& keys, int64_t now) = 0;
};

}  // namespace posthouse::store
