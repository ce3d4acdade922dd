// AuditStore: the append-only audit log of every admin mutation (DESIGN.md section 3,
// invariant 6). directory::Service writes the records; who may read which is the policy's.
//
// Contract:
// - append_audit() adds a record and nothing ever changes or deletes one.
// - Record diffs never hold secrets (the service strips them before appending).
// - Thread safety: one object per thread at a time. A DirectoryStore is an AuditStore on the
//   same connection, so a change and its audit record commit together in its in_transaction().
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/directory.h"

namespace posthouse::store {

using model::Id;

class AuditStore {
 public:
  virtual ~AuditStore() = default;

  virtual base::Status append_audit(const model::AuditRecord& r) = 0;
  // Newest first, at most `limit`, id < before_id when before_id > 0; customer_id 0: all.
  virtual base::Result<std::vector<model::AuditRecord>> list_audit(Id customer_id, Id before_id,
                                                                       int limit) = 0;
};

}  // namespace posthouse::store
