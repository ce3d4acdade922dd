// TokenStore: API tokens of every principal and mailbox (directory::Service issues, checks and
// revokes them; effective rights are recomputed by the policy at each use).
//
// Contract:
// - secret_hash is the SHA-256 (hex) of the secret: the secret itself is never given to the
//   store. find_token_by_hash() of an unknown hash is an empty optional.
// - Revoked tokens stay (revoked_at set) so their audit records keep a referent.
// - Thread safety: one object per thread at a time. A DirectoryStore is a TokenStore on the
//   same connection, so token writes join its in_transaction().
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/directory.h"

namespace posthouse::store {

using model::Id;

class TokenStore {
 public:
  virtual ~TokenStore() = default;

  virtual base::Result<Id> insert_token(const model::ApiToken& t) = 0;
  virtual base::Result<model::ApiToken> get_token(Id id) = 0;
  virtual base::Result<std::optional<model::ApiToken>> find_token_by_hash(
      std::string_view secret_hash) = 0;
  // Tokens of one owner (exactly one id non-zero), revoked ones included, by id.
  virtual base::Result<std::vector<model::ApiToken>> list_tokens(Id principal_id,
                                                                     Id mailbox_id) = 0;
  virtual base::Status touch_token(Id id, model::Time at, std::string_view ip) = 0;
  virtual base::Status revoke_token(Id id, model::Time at) = 0;
};

}  // namespace posthouse::store
