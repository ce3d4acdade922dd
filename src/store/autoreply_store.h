// AutoreplyStore: when each mailbox last auto-replied to each sender (RFC 3834: at most one
// reply per sender per period).
//
// Contract:
// - claim() decides and records in one atomic step: it returns true, and records `now`, only
//   when no reply to `sender` was recorded for the mailbox after now - period; two concurrent
//   deliveries (on any node) cannot both get true. `sender` is compared as given: the caller
//   lower-cases it.
// - Thread safety: one object per thread at a time (it wraps one connection of its backend).
// Implemented by store/sqlite/autoreply_store.h (table autoreply_log, migration 0031).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace posthouse::store {

class AutoreplyStore {
 public:
  virtual ~AutoreplyStore() = default;
  virtual base::Result<bool> claim(int64_t mailbox_id, std::string_view sender, int64_t period,
                                   int64_t now) = 0;
};

}  // namespace posthouse::store
