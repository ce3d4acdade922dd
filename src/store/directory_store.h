// DirectoryStore: persistence for the directory model (src/directory/model.h).
//
// Contract:
// - Pure storage: no permission checks, no limit policy, no validation beyond the schema's
//   uniqueness (duplicates come back as Errc::kConflict). directory::Service is the only
//   caller that decides anything.
// - in_transaction(fn) runs fn in one serialisable write transaction (SQLite: BEGIN IMMEDIATE,
//   so the read-check-write of a limit cannot interleave with another writer); fn's error rolls
//   everything back. Nested calls join the outer transaction.
// - get_* return kNotFound for a missing id; find_* return an empty optional.
// - A store object is used by one thread at a time (like its connection); open one per thread.
// Implemented by store/sqlite/directory_store.h; a PostgreSQL backend will implement it too.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "directory/model.h"

namespace posthouse::store {

using directory::Id;

class DirectoryStore {
 public:
  virtual ~DirectoryStore() = default;

  virtual base::Status in_transaction(const std::function<base::Status()>& fn) = 0;

  // Customers.
  virtual base::Result<Id> insert_customer(const directory::Customer& c) = 0;
  virtual base::Result<directory::Customer> get_customer(Id id) = 0;
  virtual base::Result<std::optional<directory::Customer>> find_customer(std::string_view name) = 0;
  virtual base::Status update_customer(const directory::Customer& c) = 0;
  virtual base::Result<std::vector<directory::Customer>> list_customers() = 0;
  virtual base::Status delete_customer(Id id) = 0;

  // Principals (admin, customer, manager, postmaster logins) with manager domain lists.
  virtual base::Result<Id> insert_principal(const directory::Principal& p) = 0;
  virtual base::Result<directory::Principal> get_principal(Id id) = 0;
  virtual base::Result<std::optional<directory::Principal>> find_principal(
      std::string_view login) = 0;
  virtual base::Status update_principal(const directory::Principal& p) = 0;  // incl. domain_ids
  virtual base::Result<std::vector<directory::Principal>> list_principals(Id customer_id) = 0;
  virtual base::Status delete_principal(Id id) = 0;

  // Domains and domain aliases.
  virtual base::Result<Id> insert_domain(const directory::Domain& d) = 0;
  virtual base::Result<directory::Domain> get_domain(Id id) = 0;
  virtual base::Result<std::optional<directory::Domain>> find_domain(std::string_view name) = 0;
  virtual base::Status update_domain(const directory::Domain& d) = 0;
  // customer_id 0: all customers.
  virtual base::Result<std::vector<directory::Domain>> list_domains(Id customer_id) = 0;
  virtual base::Status delete_domain(Id id) = 0;  // purge: the row and everything in it
  virtual base::Result<Id> insert_domain_alias(const directory::DomainAlias& a) = 0;
  virtual base::Result<std::optional<directory::DomainAlias>> find_domain_alias(
      std::string_view name) = 0;
  virtual base::Result<std::vector<directory::DomainAlias>> list_domain_aliases(Id domain_id) = 0;
  virtual base::Status delete_domain_alias(Id id) = 0;

  // Mailboxes (including deleted ones, which keep their address reserved).
  virtual base::Result<Id> insert_mailbox(const directory::Mailbox& m) = 0;
  virtual base::Result<directory::Mailbox> get_mailbox(Id id) = 0;
  virtual base::Result<std::optional<directory::Mailbox>> find_mailbox(
      std::string_view address) = 0;
  virtual base::Status update_mailbox(const directory::Mailbox& m) = 0;
  virtual base::Result<std::vector<directory::Mailbox>> list_mailboxes(Id domain_id) = 0;
  virtual base::Status delete_mailbox(Id id) = 0;  // purge
  // Deleted mailboxes and domains whose deleted_at is before `before`.
  virtual base::Result<std::vector<Id>> expired_mailboxes(directory::Time before) = 0;
  virtual base::Result<std::vector<Id>> expired_domains(directory::Time before) = 0;

  // Usage under one level: non-deleted domains/mailboxes; bytes = sum of mailbox quotas.
  virtual base::Result<directory::Usage> usage_platform() = 0;
  virtual base::Result<directory::Usage> usage_customer(Id customer_id) = 0;
  virtual base::Result<directory::Usage> usage_manager(Id manager_id) = 0;
  virtual base::Result<directory::Usage> usage_domain(Id domain_id) = 0;
  // Managers whose domain list holds this domain (their limits apply to it).
  virtual base::Result<std::vector<Id>> managers_of_domain(Id domain_id) = 0;

  // Platform limits: the one stored row (migration 0070); unset fields are unlimited.
  virtual base::Result<directory::Limits> get_platform_limits() = 0;
  virtual base::Status set_platform_limits(const directory::Limits& l, directory::Time at) = 0;

  // Aliases.
  virtual base::Result<Id> insert_alias(const directory::Alias& a) = 0;
  virtual base::Result<std::optional<directory::Alias>> find_alias(std::string_view address) = 0;
  virtual base::Status update_alias(const directory::Alias& a) = 0;
  virtual base::Result<std::vector<directory::Alias>> list_aliases(Id domain_id) = 0;
  virtual base::Status delete_alias(Id id) = 0;

  // Templates: editing settings appends a version and moves current_version.
  virtual base::Result<Id> insert_template(const directory::Template& t) = 0;
  virtual base::Result<directory::Template> get_template(Id id) = 0;  // current version
  virtual base::Result<directory::TemplateSettings> get_template_version(Id id,
                                                                         int64_t version) = 0;
  virtual base::Result<std::optional<directory::Template>> find_template(Id customer_id,
                                                                         std::string_view name) = 0;
  virtual base::Result<int64_t> add_template_version(Id id,
                                                     const directory::TemplateSettings& s) = 0;
  // Templates of this customer and the platform-wide ones.
  virtual base::Result<std::vector<directory::Template>> list_templates(Id customer_id) = 0;

  // Delegations.
  virtual base::Result<Id> insert_delegation(const directory::Delegation& d) = 0;
  virtual base::Result<directory::Delegation> get_delegation(Id id) = 0;
  virtual base::Result<std::vector<directory::Delegation>> list_delegations(Id customer_id) = 0;
  virtual base::Result<std::vector<directory::Delegation>> delegations_of(Id principal_id,
                                                                          Id mailbox_id) = 0;
  virtual base::Status delete_delegation(Id id) = 0;

  // API tokens (secret_hash is the SHA-256 of the secret; the secret is never stored).
  virtual base::Result<Id> insert_token(const directory::ApiToken& t) = 0;
  virtual base::Result<directory::ApiToken> get_token(Id id) = 0;
  virtual base::Result<std::optional<directory::ApiToken>> find_token_by_hash(
      std::string_view secret_hash) = 0;
  // Tokens of one owner (exactly one id non-zero), revoked ones included, by id.
  virtual base::Result<std::vector<directory::ApiToken>> list_tokens(Id principal_id,
                                                                     Id mailbox_id) = 0;
  virtual base::Status touch_token(Id id, directory::Time at, std::string_view ip) = 0;
  virtual base::Status revoke_token(Id id, directory::Time at) = 0;

  // Audit: append-only.
  virtual base::Status append_audit(const directory::AuditRecord& r) = 0;
  // Newest first, at most `limit`, id < before_id when before_id > 0; customer_id 0: all.
  virtual base::Result<std::vector<directory::AuditRecord>> list_audit(Id customer_id, Id before_id,
                                                                       int limit) = 0;
};

}  // namespace posthouse::store
