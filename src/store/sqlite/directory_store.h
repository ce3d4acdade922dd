// SQLite implementation of store::DirectoryStore (schema: migrations/0010_directory.sql).
// Contract as in store/directory_store.h. Holds a borrowed Db, which must outlive it and be
// migrated; one thread at a time.
#pragma once

#include "store/directory_store.h"
#include "store/sqlite/db.h"

namespace posthouse::store::sqlite {

class SqliteDirectoryStore final : public DirectoryStore {
 public:
  explicit SqliteDirectoryStore(Db& db) : db_(db) {}

  base::Status in_transaction(const std::function<base::Status()>& fn) override;

  base::Result<Id> insert_customer(const model::Customer& c) override;
  base::Result<model::Customer> get_customer(Id id) override;
  base::Result<std::optional<model::Customer>> find_customer(std::string_view name) override;
  base::Status update_customer(const model::Customer& c) override;
  base::Result<std::vector<model::Customer>> list_customers() override;
  base::Status delete_customer(Id id) override;

  base::Result<Id> insert_principal(const model::Principal& p) override;
  base::Result<model::Principal> get_principal(Id id) override;
  base::Result<std::optional<model::Principal>> find_principal(std::string_view login) override;
  base::Status update_principal(const model::Principal& p) override;
  base::Result<std::vector<model::Principal>> list_principals(Id customer_id) override;
  base::Status delete_principal(Id id) override;

  base::Result<Id> insert_domain(const model::Domain& d) override;
  base::Result<model::Domain> get_domain(Id id) override;
  base::Result<std::optional<model::Domain>> find_domain(std::string_view name) override;
  base::Status update_domain(const model::Domain& d) override;
  base::Result<std::vector<model::Domain>> list_domains(Id customer_id) override;
  base::Status delete_domain(Id id) override;
  base::Result<Id> insert_domain_alias(const model::DomainAlias& a) override;
  base::Result<std::optional<model::DomainAlias>> find_domain_alias(
      std::string_view name) override;
  base::Result<std::vector<model::DomainAlias>> list_domain_aliases(Id domain_id) override;
  base::Status delete_domain_alias(Id id) override;

  base::Result<Id> insert_mailbox(const model::Mailbox& m) override;
  base::Result<model::Mailbox> get_mailbox(Id id) override;
  base::Result<std::optional<model::Mailbox>> find_mailbox(std::string_view address) override;
  base::Status update_mailbox(const model::Mailbox& m) override;
  base::Result<std::vector<model::Mailbox>> list_mailboxes(Id domain_id) override;
  base::Status delete_mailbox(Id id) override;
  base::Result<std::vector<Id>> expired_mailboxes(model::Time before) override;
  base::Result<std::vector<Id>> expired_domains(model::Time before) override;

  base::Result<model::Usage> usage_platform() override;
  base::Result<model::Usage> usage_customer(Id customer_id) override;
  base::Result<model::Usage> usage_manager(Id manager_id) override;
  base::Result<model::Usage> usage_domain(Id domain_id) override;
  base::Result<std::vector<Id>> managers_of_domain(Id domain_id) override;
  base::Result<model::Limits> get_platform_limits() override;
  base::Status set_platform_limits(const model::Limits& l, model::Time at) override;

  base::Result<Id> insert_alias(const model::Alias& a) override;
  base::Result<std::optional<model::Alias>> find_alias(std::string_view address) override;
  base::Status update_alias(const model::Alias& a) override;
  base::Result<std::vector<model::Alias>> list_aliases(Id domain_id) override;
  base::Status delete_alias(Id id) override;

  base::Result<Id> insert_template(const model::Template& t) override;
  base::Result<model::Template> get_template(Id id) override;
  base::Result<model::TemplateSettings> get_template_version(Id id, int64_t version) override;
  base::Result<std::optional<model::Template>> find_template(Id customer_id,
                                                                 std::string_view name) override;
  base::Result<int64_t> add_template_version(Id id, const model::TemplateSettings& s) override;
  base::Result<std::vector<model::Template>> list_templates(Id customer_id) override;

  base::Result<Id> insert_delegation(const model::Delegation& d) override;
  base::Result<model::Delegation> get_delegation(Id id) override;
  base::Result<std::vector<model::Delegation>> list_delegations(Id customer_id) override;
  base::Result<std::vector<model::Delegation>> delegations_of(Id principal_id,
                                                                  Id mailbox_id) override;
  base::Status delete_delegation(Id id) override;

  base::Result<Id> insert_token(const model::ApiToken& t) override;
  base::Result<model::ApiToken> get_token(Id id) override;
  base::Result<std::optional<model::ApiToken>> find_token_by_hash(
      std::string_view secret_hash) override;
  base::Result<std::vector<model::ApiToken>> list_tokens(Id principal_id,
                                                             Id mailbox_id) override;
  base::Status touch_token(Id id, model::Time at, std::string_view ip) override;
  base::Status revoke_token(Id id, model::Time at) override;
  base::Status append_audit(const model::AuditRecord& r) override;
  base::Result<std::vector<model::AuditRecord>> list_audit(Id customer_id, Id before_id,
                                                               int limit) override;

 private:
  base::Result<std::vector<Id>> ids(std::string_view sql, int64_t arg);
  base::Result<model::Usage> usage(std::string_view sql, int64_t arg);
  base::Result<std::vector<Id>> manager_domain_ids(Id manager_id);
  base::Status set_manager_domains(Id manager_id, const std::vector<Id>& domain_ids);
  base::Result<std::vector<model::Template>> templates_where(std::string_view where, Id a,
                                                                 std::string_view b);
  Db& db_;
  int tx_depth_ = 0;
};

}  // namespace posthouse::store::sqlite
