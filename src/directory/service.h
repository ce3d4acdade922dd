// directory::Service: the only way into the directory. The CLI, the REST API, the web panel
// and the mail protocols all call these functions; each one loads the objects it touches,
// asks Policy::check (the single decision point), validates input, enforces limits, writes,
// and appends an audit record — all inside one store transaction.
//
// Contract:
// - Every function taking an Actor is authorised by the policy. An object outside the actor's
//   scope answers kNotFound with exactly the message a nonexistent one gets.
// - Mutations are atomic: limits are checked on actual usage inside the same write transaction
//   (SQLite BEGIN IMMEDIATE), so two concurrent creates cannot both take the last slot.
// - Every successful mutation appends one audit record (actor, token, source, IP, verb,
//   target, before/after of changed fields); passwords and hashes never reach it.
// - Objects are referred to by their names (customer name, domain name, address, login) or
//   by "#<id>" (e.g. "#12") where an id is more convenient.
// - A Service wraps one store (and so one connection): one thread at a time. Cheap to create.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/credential_cache.h"
#include "auth/password.h"
#include "base/result.h"
#include "directory/model.h"
#include "directory/policy.h"
#include "store/directory_store.h"
#include "store/quarantine_store.h"
#include "store/queue_store.h"

namespace posthouse::directory {

// Settings that come from the config file (see src/directory/README.md for the keys).
struct Options {
  auth::PasswordOptions password;
  int64_t retention_days = 30;  // restorable-delete window before purge_expired() removes
  int max_alias_targets = 100;
  int max_forward_targets = 20;
  int max_resolve_depth = 10;  // alias/forward expansion depth (loops are cut anyway)
  // Called with each mailbox id a purge removes, inside the purge transaction, so the message
  // store can drop that mailbox's mail (it keys mail by mailbox id).
  std::function<base::Status(Id mailbox_id)> on_mailbox_purged;
  // Verified-credential cache shared by every Service of the process (nullptr: none). Mail
  // logins (authenticate) use it; password changes, disabling and deletion drop entries.
  std::shared_ptr<auth::CredentialCache> credential_cache;
  // The hash unknown logins are verified against (same cost as a real one), made once at start
  // by `serve` so every pooled Service pays the same from its first unknown login; "" = each
  // Service makes its own on first use.
  std::string dummy_hash;
};

struct CustomerSpec {
  std::string name;
  std::string login;  // the customer's own login (an e-mail address); may be empty
  std::optional<std::string> password;
  Limits limits;
};

struct ManagerSpec {
  std::string customer;  // customer name
  std::string login;     // an e-mail address, possibly outside every managed domain
  std::string display_name;
  ManagerKind kind = ManagerKind::kScoped;
  std::vector<std::string> domains;
  Limits limits;
  std::optional<std::string> password;
};

struct DomainSpec {
  std::string customer;  // customer name; empty: the actor's own customer
  std::string name;
  std::optional<std::string> postmaster_password;  // absent: postmaster disabled until set
  Limits limits;
  std::string manager;  // optional manager login to assign the new domain to
};

struct MailboxSpec {
  std::string address;
  std::string display_name;
  std::string template_name;            // required: a mailbox is always made from a template
  std::optional<std::string> password;  // absent: no login until one is set
  std::optional<int64_t> quota_bytes;   // absent: the template's quota
};

struct MailboxEdit {
  std::optional<std::string> display_name;
  std::optional<int64_t> quota_bytes;
  std::optional<std::string> status;  // "active" | "disabled"
  std::optional<Services> services;
};

// The platform limits (stored, migration 0070) and the whole server's usage against them.
struct PlatformLimits {
  Limits limits;
  Usage usage;
};

struct DelegationSpec {
  std::string grantee;  // a login or mailbox address of the same customer
  std::vector<Verb> verbs;
  std::vector<std::string> domains;
  std::vector<std::string> templates;  // allowed for mailbox.create
  std::optional<Time> expires_at;
};

// A new API token's narrowing (all optional; the owner is the acting principal or mailbox).
struct TokenSpec {
  std::string name;
  std::vector<std::string> domains;  // domain names the owner can see; empty: all of its own
  std::vector<Verb> verbs;           // empty: all of the owner's
  bool read_only = false;
  std::vector<std::string> ip_allow;  // CIDRs (IPv4 or IPv6) or single addresses; empty: any
  std::optional<Time> expires_at;
};

struct NewToken {
  ApiToken token;
  std::string secret;  // shown once to its owner; only its SHA-256 is stored
};

// The autoresponder of one mailbox, stored in its settings JSON under "autoresponder" (the
// shape delivery/local_gateway.cc reads).
struct Autoresponder {
  bool enabled = false;
  std::string subject;
  std::string body;
  std::optional<Time> start, end;
};

// Outbound queue listing (list_queue): filters and the page. Empty strings filter nothing.
struct QueueQuery {
  std::string state;             // a recipient state name: some recipient is in it
  std::string domain;            // a local domain the actor can see: entries sent for it
  std::string recipient_domain;  // some recipient is at this domain
  int64_t after_id = 0;          // cursor: the `id` of the last entry of the previous page
  int limit = 100;               // 1..1000
};

// One outbound queue entry with the local domain it is sent for (0/"" when none: only the
// platform admin sees it).
struct QueueEntry {
  store::QueuedMessage message;
  Id customer_id = 0;
  Id domain_id = 0;
  std::string domain;
};

struct QueuePage {
  std::vector<QueueEntry> items;
  int64_t next_after = 0;  // 0: no further page
};

// The JSON form of an entry (CLI --json and the API): id, sender, size, created_at, domain,
// state (summary), recipients[{address, state, attempts, next_attempt_at, last_error}].
nlohmann::json to_json(const QueueEntry& e);

// What a mail protocol needs after a successful login.
struct MailPrincipal {
  Id mailbox_id = 0;
  Id domain_id = 0;
  std::string address;
  std::string display_name;
  Services services;
  int64_t quota_bytes = 0;
};

// Where mail to one recipient goes: local mailboxes (ids for the message store) and external
// addresses to relay to (forwards, external alias targets).
struct Resolution {
  std::vector<Id> mailboxes;
  std::vector<std::string> external;
};

class Service {
 public:
  Service(store::DirectoryStore& store, Options opts,
          Policy::Clock clock = nullptr);  // nullptr: the system clock

  const Policy& policy() const { return policy_; }
  Time now() const { return policy_.now(); }

  // --- actors
  // The platform admin acting from the local CLI (the CLI may act without the admin row).
  static Actor cli_admin();
  // Loads who `login` is right now: a principal login first, else a mailbox address.
  // Deleted or disabled ones load with active=false (they may do nothing). kNotFound if none.
  base::Result<Actor> actor_for(std::string_view login);
  // Panel/API login for any principal or mailbox: kUnauthenticated on any failure.
  base::Result<Actor> login(std::string_view login, std::string_view password);

  // --- customers
  base::Result<Customer> create_customer(const Actor& a, const CustomerSpec& s);
  base::Result<Customer> get_customer(const Actor& a, std::string_view ref);
  base::Result<std::vector<Customer>> list_customers(const Actor& a);
  base::Result<Customer> set_customer_limits(const Actor& a, std::string_view ref, const Limits& l);
  base::Result<Customer> set_customer_branding(const Actor& a, std::string_view ref,
                                               const Branding& b);
  base::Result<Usage> customer_usage(const Actor& a, std::string_view ref);
  // Removes a customer that has no domains left (with its logins, managers and templates).
  base::Status delete_customer(const Actor& a, std::string_view ref);

  // --- platform limits (platform admin only: platform.read / platform.limits). Read from the
  // database at every limit check, so a change applies at once to every connection. Setting
  // them below current usage (or below a customer's own limits) is allowed: nothing is
  // removed, and new domains, mailboxes and quota raises are refused until usage is below.
  base::Result<PlatformLimits> get_platform_limits(const Actor& a);
  base::Result<PlatformLimits> set_platform_limits(const Actor& a, const Limits& l);
  // bootstrap_platform_admin (below) for the local CLI operator (platform.bootstrap: the admin
  // actor without a login; an admin login may not mint another), with this service's password
  // options. kConflict if the login exists.
  base::Status bootstrap_admin(const Actor& a, std::string_view login, std::string_view password);

  // --- managers
  base::Result<Principal> create_manager(const Actor& a, const ManagerSpec& s);
  base::Result<Principal> get_manager(const Actor& a, std::string_view login);
  base::Result<std::vector<Principal>> list_managers(const Actor& a, std::string_view customer);
  base::Result<Principal> set_manager_domains(const Actor& a, std::string_view login,
                                              const std::vector<std::string>& domains);
  base::Result<Principal> set_manager_limits(const Actor& a, std::string_view login,
                                             const Limits& l);
  base::Result<Principal> set_manager_branding(const Actor& a, std::string_view login,
                                               const Branding& b);
  base::Status delete_manager(const Actor& a, std::string_view login);
  // White-label settings for mail sent to users of this domain: its manager's if set, else
  // its customer's (never the platform's).
  base::Result<Branding> branding_for_domain(Id domain_id);

  // --- domains
  base::Result<Domain> create_domain(const Actor& a, const DomainSpec& s);
  base::Result<Domain> get_domain(const Actor& a, std::string_view ref);
  base::Result<std::vector<Domain>> list_domains(const Actor& a, std::string_view customer);
  base::Result<Domain> set_domain_limits(const Actor& a, std::string_view ref, const Limits& l);
  base::Result<Domain> set_catchall(const Actor& a, std::string_view ref,
                                    std::optional<std::string> target);
  // The domain's spam policy (spam.policy): block and allow entries are normalized (an
  // address, or a domain with or without a leading '@'), duplicates dropped; at most
  // kMaxSpamListEntries each. Scores are finite, at most 10000 in size, and ordered
  // junk < quarantine < reject where set; virus_action is "", "reject" or "quarantine".
  base::Result<Domain> set_spam_policy(const Actor& a, std::string_view ref, SpamPolicy p);
  base::Status add_domain_alias(const Actor& a, std::string_view alias, std::string_view ref);
  base::Status remove_domain_alias(const Actor& a, std::string_view alias);
  base::Result<std::vector<DomainAlias>> list_domain_aliases(const Actor& a, std::string_view ref);
  base::Status set_postmaster_password(const Actor& a, std::string_view ref,
                                       std::string_view password);
  base::Status delete_domain(const Actor& a, std::string_view ref);
  base::Status restore_domain(const Actor& a, std::string_view ref);
  base::Status purge_domain(const Actor& a, std::string_view ref);
  base::Result<Usage> domain_usage(const Actor& a, std::string_view ref);

  // --- mailboxes
  base::Result<Mailbox> create_mailbox(const Actor& a, const MailboxSpec& s);
  base::Result<Mailbox> get_mailbox(const Actor& a, std::string_view ref);
  base::Result<std::vector<Mailbox>> list_mailboxes(const Actor& a, std::string_view domain);
  base::Result<Mailbox> edit_mailbox(const Actor& a, std::string_view ref, const MailboxEdit& e);
  base::Status set_mailbox_password(const Actor& a, std::string_view ref,
                                    std::string_view password);
  // Renames a mailbox, possibly into another domain: needs mailbox.edit on the source and
  // mailbox.create (with the mailbox's template) on the destination, and a free slot there.
  base::Result<Mailbox> move_mailbox(const Actor& a, std::string_view ref,
                                     std::string_view new_address);
  base::Status delete_mailbox(const Actor& a, std::string_view ref);
  base::Status restore_mailbox(const Actor& a, std::string_view ref);
  base::Status purge_mailbox(const Actor& a, std::string_view ref);
  base::Result<Mailbox> set_forward(const Actor& a, std::string_view ref,
                                    const std::vector<std::string>& targets, bool keep_copy);

  // --- aliases (create or replace the targets of one alias address)
  base::Result<Alias> set_alias(const Actor& a, std::string_view address,
                                const std::vector<std::string>& targets);
  base::Status delete_alias(const Actor& a, std::string_view address);
  base::Result<std::vector<Alias>> list_aliases(const Actor& a, std::string_view domain);

  // --- templates (customer empty: the actor's customer; "-" or admin with empty: platform-wide)
  base::Result<Template> create_template(const Actor& a, std::string_view customer,
                                         std::string_view name, const TemplateSettings& s);
  base::Result<Template> edit_template(const Actor& a, std::string_view customer,
                                       std::string_view name, const TemplateSettings& s);
  base::Result<std::vector<Template>> list_templates(const Actor& a, std::string_view customer);

  // --- delegations
  base::Result<Delegation> create_delegation(const Actor& a, const DelegationSpec& s);
  base::Status delete_delegation(const Actor& a, Id id);
  base::Result<std::vector<Delegation>> list_delegations(const Actor& a, std::string_view customer);

  // --- principal passwords (admin, customer, manager, postmaster logins)
  base::Status set_principal_password(const Actor& a, std::string_view login,
                                      std::string_view password);

  // --- templates: one stored version of a template the actor may read.
  base::Result<TemplateSettings> get_template_version(const Actor& a, std::string_view customer,
                                                      std::string_view name, int64_t version);

  // --- self-service: the autoresponder of a mailbox (its owner if its services allow it, or
  // whoever holds autoresponder.edit on it).
  base::Result<Autoresponder> get_autoresponder(const Actor& a, std::string_view ref);
  base::Result<Autoresponder> set_autoresponder(const Actor& a, std::string_view ref,
                                                const Autoresponder& r);

  // --- API tokens (src/directory/service_tokens.cc). Every principal and every mailbox whose
  // services allow it manages its own tokens; nobody sees or revokes another's. A request
  // authenticated by a token may list and revoke (unless read-only) but never create tokens
  // (a narrowed token must not mint a wider one).
  base::Result<NewToken> create_token(const Actor& a, const TokenSpec& s);
  base::Result<std::vector<ApiToken>> list_tokens(const Actor& a);
  base::Status revoke_token(const Actor& a, Id id);
  // The actor behind `Authorization: Bearer <secret>` from `ip`: the owner's CURRENT rights
  // (loaded now, like actor_for) narrowed by the token's scope. Unknown, revoked, expired,
  // from a disallowed IP, or owner deleted/disabled: kUnauthenticated, always the same
  // message. A hit records last-used time and IP.
  base::Result<Actor> actor_for_token(std::string_view secret, std::string_view ip);

  // --- outbound queue (src/directory/service_queue.cc). An entry belongs to the local domain
  // it is sent for (QueuedMessage::origin_domain_id, else its sender's domain); queue.read and
  // queue.manage on it are decided by the policy like any object: out of scope answers
  // exactly like a nonexistent id. `q` must wrap this service's own database connection
  // (retry and delete commit together with their audit record).
  base::Result<QueuePage> list_queue(const Actor& a, store::QueueStore& q, const QueueQuery& f);
  base::Result<QueueEntry> get_queue_entry(const Actor& a, store::QueueStore& q,
                                           std::string_view queue_id);
  // Makes the entry's waiting recipients due now (state queued); returns the entry as it is
  // now. kConflict: nothing waits.
  base::Result<QueueEntry> retry_queue_entry(const Actor& a, store::QueueStore& q,
                                             std::string_view queue_id);
  // Removes the entry for good (no bounce is sent).
  base::Status delete_queue_entry(const Actor& a, store::QueueStore& q, std::string_view queue_id);

  // --- audit: newest first, only records in the actor's scope.
  base::Result<std::vector<AuditRecord>> list_audit(const Actor& a, int limit = 100,
                                                    Id before_id = 0);

  // --- spam settings of a mailbox and its quarantine (service_spam.cc)
  // spam.settings: the mailbox's own thresholds (each at most its domain's where the domain
  // sets one: a user tightens, never loosens; ordered as the domain's) and allow/block lists
  // (normalized like the domain's). Audited.
  base::Result<UserSpamSettings> get_user_spam(const Actor& a, std::string_view ref);
  base::Result<UserSpamSettings> set_user_spam(const Actor& a, std::string_view ref,
                                               UserSpamSettings u);
  // quarantine.release on a mailbox (its held mail), or on a domain (all its mailboxes'):
  // the mailbox or the domain's id; out of scope answers kNotFound.
  base::Result<Mailbox> quarantine_mailbox(const Actor& a, std::string_view ref);
  base::Result<Domain> quarantine_domain(const Actor& a, std::string_view ref);
  // May `a` see, release or delete this held entry? kNotFound when not (out of scope looks
  // like a missing entry).
  base::Status check_held(const Actor& a, const store::HeldMessage& m);
  // Audits an action ("quarantine.release", "quarantine.delete") on a held entry.
  base::Status audit_held(const Actor& a, std::string_view action, const store::HeldMessage& m);

  // --- what the mail side needs (no actor: these serve the protocols themselves)
  // SMTP AUTH / IMAP / POP3 login. protocol: "imap", "pop3", "smtp", "webmail". On success
  // records last login time and protocol and re-hashes an old or imported hash. Every failure
  // (unknown address, wrong password, deleted, disabled) is the same kUnauthenticated;
  // kForbidden only after a correct password when the service is switched off.
  base::Result<MailPrincipal> authenticate(std::string_view address, std::string_view password,
                                           std::string_view protocol);
  // Expands one recipient through domain aliases, aliases, forwards (keep-copy), postmaster
  // and catch-all, loop-safe. kNotFound when the domain is not local or nothing matches.
  base::Result<Resolution> resolve_recipient(std::string_view address);
  base::Result<bool> is_local_domain(std::string_view domain);
  // The id of the active local domain serving `domain` (itself or through a domain alias);
  // 0 when it is not local.
  base::Result<Id> local_domain_id(std::string_view domain);
  // The spam policy of the active local domain serving `domain` (through a domain alias too);
  // the defaults when it is not local.
  base::Result<SpamPolicy> spam_policy_of(std::string_view domain);
  // Submission: may the owner of this mailbox use `address` as envelope sender? Its own address,
  // subaddresses of it, and aliases (also through domain aliases) that deliver to it; never an
  // address that reaches it only through a catch-all.
  base::Result<bool> may_send_as(Id mailbox_id, std::string_view address);

  // --- maintenance: purges deleted mailboxes/domains older than the retention period.
  // Audited as actor "system". Returns how many objects were purged. Without an actor it is
  // the server's own job; with one (the CLI's purge-expired) it needs platform.purge.
  base::Result<int> purge_expired();
  base::Result<int> purge_expired(const Actor& a);

 private:
  base::Status authorize(const Actor& a, Verb v, const Target& t, std::string_view what);
  base::Result<Customer> load_customer(const Actor& a, std::string_view ref, Verb v);
  base::Result<Domain> load_domain(const Actor& a, std::string_view ref, Verb v);
  // In one transaction: loads the domain for `v`, applies `change` and stores it, audited as
  // `action` (the verb's name when empty) with the before and after.
  base::Result<Domain> edit_domain(const Actor& a, std::string_view ref, Verb v,
                                   std::string_view action,
                                   const std::function<base::Status(Domain&)>& change);
  base::Result<Mailbox> load_mailbox(const Actor& a, std::string_view ref, Verb v);
  base::Result<Customer> change_customer(const Actor& a, std::string_view ref, Verb v,
                                         const std::function<base::Status(Customer&)>& change);
  base::Result<Principal> change_manager(const Actor& a, std::string_view login, Verb v,
                                         const std::function<base::Status(Principal&)>& change);
  base::Result<Principal> load_manager(const Actor& a, std::string_view login, Verb v);
  base::Result<Id> customer_for(const Actor& a, std::string_view ref, Verb v);
  base::Result<Template> find_template_for(Id customer_id, std::string_view name);
  base::Result<Limits> ceiling_for_domain(const Actor& a, const Domain& d);
  base::Result<Limits> ceiling_for_customer_child(const Actor& a, Id customer_id);
  base::Status check_mailbox_slot(const Domain& d, int64_t quota, int64_t old_quota, bool new_slot);
  base::Status check_domain_slot(Id customer_id, const std::vector<Id>& managers);
  base::Status check_address_free(std::string_view address);
  base::Result<std::string> hash_new_password(std::string_view password);
  base::Result<std::vector<std::string>> parse_targets(const std::vector<std::string>& in,
                                                       size_t max, std::string_view field);
  base::Status audit(const Actor& a, Verb v, std::string target, Id customer, Id domain, Id mailbox,
                     const nlohmann::json& before, const nlohmann::json& after);
  base::Status audit_custom(const Actor& a, std::string_view verb, std::string target, Id customer,
                            Id domain, Id mailbox, const nlohmann::json& before,
                            const nlohmann::json& after);
  base::Status purge_mailbox_row(const Mailbox& m);
  base::Result<std::string> dummy_hash();
  base::Status check_services_grant(const Actor& a, const Mailbox& m, const Domain& d,
                                    const Services& want);
  base::Status purge_domain_rows(const Domain& d);
  base::Result<QueueEntry> queue_entry_of(store::QueuedMessage m);
  base::Result<QueueEntry> load_queue_entry(const Actor& a, store::QueueStore& q,
                                            std::string_view queue_id, Verb v);
  // Loads (queue.manage), changes and audits one entry in one transaction; returns the entry
  // after the change (its message id 0 when it is gone).
  base::Result<QueueEntry> change_queue_entry(const Actor& a, store::QueueStore& q,
                                              std::string_view queue_id, std::string_view verb,
                                              const std::function<base::Status()>& change);
  base::Status resolve_into(std::string_view address, int depth, std::vector<std::string>* seen,
                            Resolution* out, bool allow_catchall);

  store::DirectoryStore& store_;
  Options opts_;
  Policy policy_;
  void forget_credentials(Id mailbox_id);  // credential cache entries of a mailbox
  std::string dummy_hash_;                 // verified against for unknown logins (see authenticate)
};

// Creates the platform admin principal (`login`, normally "admin") with this password in a
// migrated directory store. `posthouse init` calls it with a generated password and prints it
// once. kConflict if that login exists.
base::Status bootstrap_platform_admin(store::DirectoryStore& store, std::string_view login,
                                      std::string_view password,
                                      const auth::PasswordOptions& opts = {});

}  // namespace posthouse::directory
