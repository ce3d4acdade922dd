// The directory's domain model: plain value types shared by policy, service and stores.
// No behaviour beyond small helpers; no I/O. Ids are SQLite rowids (never reused); 0 = none.
// Limits use std::optional: nullopt means "no limit at this level" (the levels above apply).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace posthouse::model {

using Id = int64_t;
using Time = int64_t;  // Unix seconds, UTC

enum class Role { kAdmin, kCustomer, kManager, kPostmaster, kUser };
std::string_view role_name(Role r);

enum class ManagerKind { kScoped, kFull };

// Every action the policy knows. Names (verb_name) are the stable strings of the CLI, API,
// audit and delegations.
enum class Verb {
  kCustomerCreate,
  kCustomerRead,
  kCustomerEdit,
  kCustomerLimits,
  kCustomerDelete,
  kManagerCreate,
  kManagerRead,
  kManagerEdit,
  kManagerDelete,
  kDomainCreate,
  kDomainRead,
  kDomainEdit,
  kDomainLimits,
  kDomainDelete,
  kDomainRestore,
  kDomainPurge,
  kPostmasterPassword,
  kMailboxCreate,
  kMailboxRead,
  kMailboxEdit,
  kMailboxPassword,
  kMailboxDelete,
  kMailboxRestore,
  kMailboxPurge,
  kAliasRead,
  kAliasEdit,
  kForwardEdit,
  kTemplateRead,
  kTemplateEdit,
  kDelegationRead,
  kDelegationCreate,
  kDelegationDelete,
  kAuditRead,
  kPrincipalPassword,  // set the password of a non-mailbox login (self, or by its customer)
  kAutoresponderEdit,  // a mailbox's autoresponder (its owner, if its services allow it)
  kQueueRead,          // see outbound queue entries (list, show)
  kQueueManage,        // retry or delete outbound queue entries
  // Platform limits (platform admin only).
  kPlatformRead,
  kPlatformLimits,
  kPlatformPurge,      // purge expired deletions now (platform admin only)
  kPlatformBootstrap,  // create a platform admin login (the local CLI operator only)
  kPlatformTemplate,   // create platform-wide templates (platform admin only)
  kTokenCreate,        // hold API tokens of one's own: mint one, and keep using those minted
  kTokenRevoke,        // revoke one of one's own API tokens
  kSpamPolicy,         // set a domain's spam policy (customer, manager, postmaster; delegable)
  kSpamSettings,       // a mailbox's own spam settings (its user; domain admins; delegable)
  kQuarantineRelease,  // list, release, delete a mailbox's held mail (its user; domain admins)
};
inline constexpr int kVerbCount = static_cast<int>(Verb::kQuarantineRelease) + 1;
std::string_view verb_name(Verb v);
std::optional<Verb> verb_from_name(std::string_view name);
// The verbs a delegation may carry (DESIGN.md section 3, the "User Manager").
bool delegable(Verb v);

struct Limits {
  std::optional<int64_t> max_domains;
  std::optional<int64_t> max_mailboxes;
  std::optional<int64_t> max_mailbox_bytes;
  std::optional<int64_t> max_total_bytes;
};

// Actual consumption counted under one level (non-deleted objects; bytes = sum of quotas).
struct Usage {
  int64_t domains = 0;
  int64_t mailboxes = 0;
  int64_t bytes = 0;
};

// White-label settings used for mail the system sends on behalf of a customer or manager.
struct Branding {
  std::string sender_name;
  std::string sender_address;
  std::string product_name;
  std::string logo_url;
  std::string welcome_text;
  std::string reset_text;
};

struct Customer {
  Id id = 0;
  std::string name;
  std::string status = "active";
  Limits limits;
  Branding branding;
  Time created_at = 0, updated_at = 0;
};

enum class PrincipalKind { kAdmin, kCustomer, kManager, kPostmaster };
std::string_view principal_kind_name(PrincipalKind k);

// A login that is not a mailbox.
struct Principal {
  Id id = 0;
  PrincipalKind kind = PrincipalKind::kCustomer;
  std::string login;
  std::string display_name;
  std::string password_hash = "!";
  Id customer_id = 0;  // customer, manager, postmaster
  Id domain_id = 0;    // postmaster
  ManagerKind manager_kind = ManagerKind::kScoped;
  std::string status = "active";
  Limits limits;               // manager
  Branding branding;           // manager
  std::vector<Id> domain_ids;  // manager: its domains (scope for scoped, assignment for full)
  Time created_at = 0, updated_at = 0;
};

// A domain's spam policy (docs/antispam.md), set by whoever holds spam.policy on the domain.
struct SpamPolicy {
  // Honour the From domain's DMARC policy for a message that fails DMARC: p=reject is refused
  // (550 5.7.1), p=quarantine goes to the recipient's Junk folder. Off: delivered as usual,
  // with the result in Authentication-Results.
  bool dmarc_enforce = true;
  // Greylisting (delivery/greylist.h; rspamd's own when rspamd is configured): the first
  // message of an unknown sender to the domain's recipients is deferred (451 4.7.1) until it
  // is sent again. Off: rspamd's greylist action delivers.
  bool greylist = false;
  // Envelope senders refused at RCPT (550 5.7.1): "user@example.com", or "example.com" for
  // the domain and its subdomains. Lower case, at most kMaxSpamListEntries.
  std::vector<std::string> block;
  // Senders (same forms as block) whose mail skips the spam score and greylisting, never the
  // virus scan; an entry counts only when SPF or DKIM verified the sender's domain.
  std::vector<std::string> allow;
  // rspamd score thresholds: at least reject_score is refused at SMTP time (550 5.7.1), at
  // least quarantine_score is held in the quarantine, at least junk_score goes to Junk. When
  // none is set, rspamd's action decides (reject, add header → Junk).
  std::optional<double> reject_score, quarantine_score, junk_score;
  // A virus: "" = the server's [antispam] virus_action, "reject" or "quarantine".
  std::string virus_action;
};
// A mailbox's own spam settings (its settings JSON, "spam"): thresholds may only be lower
// (stricter) than its domain's; the allow and block lists are its own.
struct UserSpamSettings {
  std::optional<double> reject_score, quarantine_score, junk_score;
  std::vector<std::string> allow, block;
};
inline constexpr std::size_t kMaxSpamListEntries = 1000;

struct Domain {
  Id id = 0;
  std::string name;  // A-label, lower case
  Id customer_id = 0;
  std::string status = "active";  // active | deleted
  std::optional<Time> deleted_at;
  Limits limits;  // max_domains unused at this level
  std::optional<std::string> catchall;
  SpamPolicy spam;
  Time created_at = 0, updated_at = 0;
};

struct DomainAlias {
  Id id = 0;
  std::string name;
  Id domain_id = 0;
};

struct Services {
  bool imap = true, pop3 = true, smtp = true, webmail = true;
  bool forwarding = true, autoresponder = true, tokens = false;
};

struct TemplateSettings {
  Services services;
  int64_t quota_bytes = 1LL << 30;
  std::vector<std::string> folders{"Drafts", "Sent", "Trash", "Junk", "Archive"};
  std::string language = "en";
  std::string autoresponder_text;
};

struct Template {
  Id id = 0;
  Id customer_id = 0;  // 0: platform-wide
  std::string name;
  int64_t version = 1;        // current
  TemplateSettings settings;  // of the current version
};

struct Mailbox {
  Id id = 0;
  std::string address;
  Id domain_id = 0;
  std::string display_name;
  std::string password_hash = "!";
  int64_t quota_bytes = 0;
  Services services;
  std::string settings_json = "{}";
  std::string status = "active";  // active | disabled | deleted
  std::optional<Time> deleted_at;
  bool deleted_with_domain = false;
  Id template_id = 0;
  int64_t template_version = 0;
  std::vector<std::string> forward_to;
  bool forward_keep_copy = true;
  std::optional<Time> last_login_at;
  std::optional<std::string> last_login_protocol;
  Time created_at = 0, updated_at = 0;
};

struct Alias {
  Id id = 0;
  std::string address;
  Id domain_id = 0;
  std::vector<std::string> targets;
};

struct Delegation {
  Id id = 0;
  Id customer_id = 0;
  Id grantor_principal_id = 0;
  Id grantee_principal_id = 0;  // exactly one of the two grantee ids is set
  Id grantee_mailbox_id = 0;
  std::vector<Verb> verbs;
  std::vector<Id> domain_ids;
  std::vector<Id> template_ids;  // allowed templates for mailbox.create
  std::optional<Time> expires_at;
  Time created_at = 0;
  bool active_at(Time now) const { return !expires_at || *expires_at > now; }
};

// An API token's narrowing of its owner's rights (effective = scope ∩ owner's current rights).
struct TokenScope {
  std::vector<Id> domain_ids;  // empty: all of the owner's
  std::vector<Verb> verbs;     // empty: all of the owner's
  bool read_only = false;
  std::vector<std::string> ip_allow;  // CIDRs; empty: any
};

// An API token as stored (the secret itself is never stored: secret_hash is its SHA-256).
struct ApiToken {
  Id id = 0;
  Id owner_principal_id = 0;  // exactly one of the two owner ids is set
  Id owner_mailbox_id = 0;
  std::string name;
  std::string prefix;  // the first characters of the secret, to recognise it in lists
  std::string secret_hash;
  TokenScope scope;
  std::optional<Time> expires_at;
  std::optional<Time> last_used_at;
  std::optional<std::string> last_used_ip;
  std::optional<Time> revoked_at;
  Time created_at = 0;
};

struct AuditRecord {
  Id id = 0;
  Time at = 0;
  std::string actor;
  std::string actor_kind;
  std::optional<Id> token_id;
  std::string source;
  std::optional<std::string> ip;
  std::string verb;
  std::string target;
  std::optional<Id> customer_id, domain_id, mailbox_id;
  std::optional<std::string> before, after;
};

}  // namespace posthouse::model
