// DirectoryStore: persistence for the directory records (src/model/directory.h).
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
#include "model/directory.h"
#include "store/audit_store.h"
#include "store/token_store.h"

namespace posthouse::store {

using model::Id;

// Tokens and audit records have their own interfaces (token_store.h, audit_store.h); a
// directory backend implements them on the same connection, so that a directory change and
// its audit record commit in one in_transaction().
class DirectoryStore : public TokenStore, public AuditStore {
 public:
  virtual ~DirectoryStore() = default;

  virtual base::Status in_transaction(const std::function<base::Status()>& fn) = 0;

  // Customers.
  virtual base::Result<Id> insert_customer(const model::Customer& c) = 0;
  virtual base::Result<model::Customer> get_customer(Id id) = 0;
  virtual base::Result<std::optional<model::Customer>> find_customer(std::string_view name) = 0;
  virtual base::Status update_customer(const model::Customer& c) = 0;
  virtual base::Result<std::vector<model::Customer>> list_customers() = 0;
  virtual base::Status delete_customer(Id id) = 0;

  // Principals (admin, customer, manager, postmaster logins) with manager domain lists.
  virtual base::Result<Id> insert_principal(const model::Principal& p) = 0;
  virtual base::Result<model::Principal> get_principal(Id id) = 0;
  virtual base::Result<std::optional<model::Principal>> find_principal(
      std::string_view login) = 0;
  virtual base::Status update_principal(const model::Principal& p) = 0;  // incl. domain_ids
  virtual base::Result<std::vector<model::Principal>> list_principals(Id customer_id) = 0;
  virtual base::Status delete_principal(Id id) = 0;

  // Domains and domain aliases.
  virtual base::Result<Id> insert_domain(const model::Domain& d) = 0;
  virtual base::Result<model::Domain> get_domain(Id id) = 0;
  virtual base::Result<std::optional<model::Domain>> find_domain(std::string_view name) = 0;
  virtual base::Status update_domain(const model::Domain& d) = 0;
  // customer_id 0: all customers.
  virtual base::Result<std::vector<model::Domain>> list_domains(Id customer_id) = 0;
  virtual base::Status delete_domain(Id id) = 0;  // purge: the row and everything in it
  virtual base::Result<Id> insert_domain_alias(const model::DomainAlias& a) = 0;
  virtual base::Result<std::optional<model::DomainAlias>> find_domain_alias(
      std::string_view name) = 0;
  virtual base::Result<std::vector<model::DomainAlias>> list_domain_aliases(Id domain_id) = 0;
  virtual base::Status delete_domain_alias(Id id) = 0;

  // Mailboxes (including deleted ones, which keep their address reserved).
  virtual base::Result<Id> insert_mailbox(const model::Mailbox& m) = 0;
  virtual base::Result<model::Mailbox> get_mailbox(Id id) = 0;
  virtual base::Result<std::optional<model::Mailbox>> find_mailbox(
      std::string_view address) = 0;
  virtual base::Status update_mailbox(const model::Mailbox& m) = 0;
  virtual base::Result<std::vector<model::Mailbox>> list_mailboxes(Id domain_id) = 0;
  virtual base::Status delete_mailbox(Id id) = 0;  // purge
  // Deleted mailboxes and domains whose deleted_at is before `before`.
  virtual base::Result<std::vector<Id>> expired_mailboxes(model::Time before) = 0;
  virtual base::Result<std::vector<Id>> expired_domains(model::Time before) = 0;

  // Usage under one level: non-deleted domains/mailboxes; bytes = sum of mailbox quotas.
  virtual base::Result<model::Usage> usage_platform() = 0;
  virtual base::Result<model::Usage> usage_customer(Id customer_id) = 0;
  virtual base::Result<model::Usage> usage_manager(Id manager_id) = 0;
  virtual base::Result<model::Usage> usage_domain(Id domain_id) = 0;
  // Managers whose domain list holds this domain (their limits apply to it).
  virtual base::Result<std::vector<Id>> managers_of_domain(Id domain_id) = 0;

  // Platform limits: the one stored row (migration 0070); unset fields are unlimited.
  virtual base::Result<model::Limits> get_platform_limits() = 0;
  virtual base::Status set_platform_limits(const model::Limits& l, model::Time at) = 0;

  // Aliases.
  virtual base::Result<Id> insert_alias(const model::Alias& a) = 0;
  virtual base::Result<std::optional<model::Alias>> find_alias(std::string_view address) = 0;
  virtual base::Status update_alias(const model::Alias& a) = 0;
  virtual base::Result<std::vector<model::Alias>> list_aliases(Id domain_id) = 0;
  virtual base::Status delete_alias(Id id) = 0;

  // Templates: editing settings appends a version and moves current_version.
  virtual base::Result<Id> insert_template(const model::Template& t) = 0;
  virtual base::Result<model::Template> get_template(Id id) = 0;  // current version
  virtual base::Result<model::TemplateSettings> get_template_version(Id id,
                                                                         int64_t version) = 0;
  virtual base::Result<std::optional<model::Template>> find_template(Id customer_id,
                                                                         std::string_view name) = 0;
  virtual base::Result<int64_t> add_template_version(Id id,
                                                     const model::TemplateSettings& s) = 0;
  // Templates of this customer and the platform-wide ones.
  virtual base::Result<std::vector<model::Template>> list_templates(Id customer_id) = 0;

  // Delegations.
  virtual base::Result<Id> insert_delegation(const model::Delegation& d) = 0;
  virtual base::Result<model::Delegation> get_delegation(Id id) = 0;
  virtual base::Result<std::vector<model::Delegation>> list_delegations(Id customer_id) = 0;
  virtual base::Result<std::vector<model::Delegation>> delegations_of(Id principal_id,
                                                                          Id mailbox_id) = 0;
  virtual base::Status delete_delegation(Id id) = 0;
};

}  // namespace posthouse::store
