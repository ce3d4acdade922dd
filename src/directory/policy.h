// The single policy decision point (DESIGN.md section 3, invariant 1): every read and every
// mutation of the directory asks Policy::check(actor, verb, target) before touching data.
// Nothing else in the code base decides a permission.
//
// Contract:
// - check() returns ok, or kNotFound when the actor cannot see the target at all (an object
//   outside its scope answers exactly like a nonexistent one, invariant 8), or kForbidden when
//   the actor can see the target but may not perform the verb on it.
// - A Target carries the ownership chain of the object (customer, domain, mailbox) as stored,
//   filled in by the service from the database; the policy trusts it and does no I/O.
// - "Create" verbs target the parent: mailbox.create targets the domain (with template_id set
//   to the template named), domain.create the customer, customer.create and platform.template
//   the platform, token.create the acting login's own tokens (Target::own_token).
// - A token's scope narrows every verb, but its verbs and domains do not apply to its owner's
//   own tokens (Target::own_token): only read-only stops a token revoking them.
// - Platform verbs (platform.*) are the platform admin's alone; platform.bootstrap only the
//   local CLI operator's (the admin actor without a login row: whoever can write the database).
// - Delegations are honoured only while not expired at the policy's clock.
// - Thread-safe (const, no state beyond the clock).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "directory/model.h"

namespace posthouse::directory {

// Who is acting, with everything the policy needs, loaded by the service at each request
// (rights are never cached across requests: a token dies with its owner's rights).
struct Actor {
  Role role = Role::kUser;
  bool active = true;  // false: disabled or deleted principal/mailbox; may do nothing
  std::string login;
  Id principal_id = 0;  // admin, customer, manager, postmaster
  Id mailbox_id = 0;    // user
  Id customer_id = 0;   // all but admin
  Id domain_id = 0;     // postmaster, user
  ManagerKind manager_kind = ManagerKind::kScoped;
  std::vector<Id> domain_ids;           // manager
  std::vector<Delegation> delegations;  // held by this principal or mailbox
  bool forwarding_allowed = false;      // user: from its mailbox services
  bool autoresponder_allowed = false;   // user: from its mailbox services
  bool tokens_allowed = false;          // user: from its mailbox services (own API tokens)
  // Request context, recorded in the audit.
  std::optional<Id> token_id;
  std::optional<TokenScope> token_scope;
  std::string source = "cli";
  std::optional<std::string> ip;
};

struct Target {
  enum class Kind {
    kPlatform,
    kCustomer,
    kManager,
    kDomain,
    kMailbox,
    kAlias,
    kTemplate,
    kDelegation,
    kAudit,
    kQueue,  // an outbound queue entry: customer/domain = the local domain it is sent for
             // (0/0 when no local domain owns it: platform admin only)
    kToken   // the acting login's own API tokens; another's token is never a target (the
             // service answers it like a missing one before asking)
  };
  Kind kind = Kind::kPlatform;
  Id id = 0;
  Id customer_id = 0;          // owner; 0 for platform-wide objects (platform templates)
  Id domain_id = 0;            // domain-level objects
  Id mailbox_id = 0;           // mailbox target
  Id template_id = 0;          // mailbox.create: the template named
  std::vector<Id> domain_ids;  // delegation target: its domains (all must be in scope)

  static Target of(Kind k, Id id, Id customer, Id domain = 0, Id mailbox = 0) {
    Target t;
    t.kind = k;
    t.id = id;
    t.customer_id = customer;
    t.domain_id = domain;
    t.mailbox_id = mailbox;
    return t;
  }
  static Target platform() { return {}; }
  static Target customer(Id c) { return of(Kind::kCustomer, c, c); }
  static Target domain(Id c, Id d) { return of(Kind::kDomain, d, c, d); }
  static Target mailbox(Id c, Id d, Id m) { return of(Kind::kMailbox, m, c, d, m); }
  static Target queue_entry(Id id, Id c, Id d) { return of(Kind::kQueue, id, c, d); }
  static Target own_token(Id id = 0) { return of(Kind::kToken, id, 0); }
};

// No escalation through limits (invariant 2): the manager principal `a` acts as, or 0. That
// manager's own limits cap every limit it sets, and a domain it creates is assigned to it (and
// counts against its limits).
Id acting_manager(const Actor& a);
// True when the actor may only read (a read-only token): every verb that is not a read is
// refused to it whatever the target, so a caller may refuse a write before reading its input
// (the API answers 403 before validating a body).
bool writes_refused(const Actor& a);
// "full" or "scoped" for a manager, "" for every other role (for display: whoami).
std::string_view manager_kind_name(const Actor& a);

class Policy {
 public:
  using Clock = std::function<Time()>;
  explicit Policy(Clock clock);

  // The decision. See the header comment for the error codes.
  base::Status check(const Actor& actor, Verb verb, const Target& target) const;
  // Same decision as a bool, for listings (filtering what an actor may see).
  bool allows(const Actor& actor, Verb verb, const Target& target) const;
  Time now() const { return clock_(); }

 private:
  bool role_allows(const Actor& a, Verb v, const Target& t) const;
  bool delegation_allows(const Actor& a, Verb v, const Target& t) const;
  Clock clock_;
};

}  // namespace posthouse::directory
