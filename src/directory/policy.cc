#include "directory/policy.h"

#include <algorithm>

namespace posthouse::directory {
namespace {

using base::Errc;
using base::Error;
using K = Target::Kind;

template <class C, class T>
bool contains(const C& c, const T& v) {
  return std::find(c.begin(), c.end(), v) != c.end();
}

bool is_read(Verb v) {
  switch (v) {
    case Verb::kCustomerRead:
    case Verb::kManagerRead:
    case Verb::kDomainRead:
    case Verb::kMailboxRead:
    case Verb::kAliasRead:
    case Verb::kTemplateRead:
    case Verb::kDelegationRead:
    case Verb::kAuditRead:
    case Verb::kQueueRead:
    case Verb::kPlatformRead:
      return true;
    default:
      return false;
  }
}

// The verb that decides whether an object of this kind is visible at all.
std::optional<Verb> read_verb(K kind) {
  switch (kind) {
    case K::kPlatform:
      return std::nullopt;
    case K::kCustomer:
      return Verb::kCustomerRead;
    case K::kManager:
      return Verb::kManagerRead;
    case K::kDomain:
      return Verb::kDomainRead;
    case K::kMailbox:
      return Verb::kMailboxRead;
    case K::kAlias:
      return Verb::kAliasRead;
    case K::kTemplate:
      return Verb::kTemplateRead;
    case K::kDelegation:
      return Verb::kDelegationRead;
    case K::kAudit:
      return Verb::kAuditRead;
    case K::kQueue:
      return Verb::kQueueRead;
    case K::kToken:
      return std::nullopt;  // one's own tokens: always visible to oneself
  }
  return std::nullopt;
}

// Objects that live inside one domain (the unit of scope below a customer).
bool domain_level(K kind) { return kind == K::kDomain || kind == K::kMailbox || kind == K::kAlias; }

bool all_in(const std::vector<Id>& ids, const std::vector<Id>& scope) {
  return std::all_of(ids.begin(), ids.end(), [&](Id d) { return contains(scope, d); });
}

// Is the target inside this set of domains (of this customer)?
bool in_domains(const Target& t, Id customer, const std::vector<Id>& domains) {
  if (t.customer_id != customer) return false;
  if (domain_level(t.kind)) return contains(domains, t.domain_id);
  if (t.kind == K::kDelegation) return !t.domain_ids.empty() && all_in(t.domain_ids, domains);
  if (t.kind == K::kAudit) return t.domain_id != 0 && contains(domains, t.domain_id);
  return false;
}

// Verbs a postmaster or scoped manager holds on the domains of its scope.
bool domain_admin_verb(Verb v, bool manager) {
  switch (v) {
    case Verb::kDomainRead:
    case Verb::kMailboxCreate:
    case Verb::kMailboxRead:
    case Verb::kMailboxEdit:
    case Verb::kMailboxPassword:
    case Verb::kMailboxDelete:
    case Verb::kMailboxRestore:
    case Verb::kAliasRead:
    case Verb::kAliasEdit:
    case Verb::kForwardEdit:
    case Verb::kAutoresponderEdit:
    case Verb::kDelegationRead:
    case Verb::kDelegationCreate:
    case Verb::kDelegationDelete:
    case Verb::kAuditRead:
    case Verb::kSpamPolicy:
    case Verb::kSpamSettings:
    case Verb::kQuarantineRelease:
      return true;
    // Customer-level rights on a domain: only managers hold these, never a postmaster
    // (a postmaster must not raise its own limits or delete its own domain).
    case Verb::kDomainEdit:
    case Verb::kDomainLimits:
    case Verb::kDomainDelete:
    case Verb::kDomainRestore:
    case Verb::kDomainPurge:
    case Verb::kMailboxPurge:
    case Verb::kPostmasterPassword:
      return manager;
    default:
      return false;
  }
}

}  // namespace

Policy::Policy(Clock clock) : clock_(std::move(clock)) {}

namespace {
// Platform-wide settings and jobs: the platform admin alone, on the platform target.
bool platform_verb(Verb v) {
  switch (v) {
    case Verb::kPlatformRead:
    case Verb::kPlatformLimits:
    case Verb::kPlatformPurge:
    case Verb::kPlatformBootstrap:
    case Verb::kPlatformTemplate:
      return true;
    default:
      return false;
  }
}
bool platform_allows(const Actor& a, Verb v, const Target& t) {
  if (a.role != Role::kAdmin || t.kind != K::kPlatform) return false;
  // Creating an admin login is for whoever holds the database file (the local CLI without
  // --as), never for a login: an admin login must not mint another one.
  if (v == Verb::kPlatformBootstrap) return a.principal_id == 0 && a.mailbox_id == 0;
  return true;
}

// API tokens, always the acting login's own: every login may hold them, a mailbox only while
// its services include tokens. A request authenticated by a token never mints one (a narrowed
// token must not make a wider one). The service also asks token.create when a token is used:
// a token works only while its owner could still create it. Revoking one's own is always
// allowed (also to a mailbox whose tokens service was switched off).
bool token_allows(const Actor& a, Verb v, const Target& t) {
  if (t.kind != K::kToken) return false;
  if (v == Verb::kTokenRevoke) return true;
  if (v != Verb::kTokenCreate || a.token_id || a.token_scope) return false;
  return a.role != Role::kUser || a.tokens_allowed;
}
bool token_verb(Verb v) { return v == Verb::kTokenCreate || v == Verb::kTokenRevoke; }
}  // namespace

Id acting_manager(const Actor& a) { return a.role == Role::kManager ? a.principal_id : 0; }
bool writes_refused(const Actor& a) { return a.token_scope && a.token_scope->read_only; }
std::string_view manager_kind_name(const Actor& a) {
  if (a.role != Role::kManager) return "";
  return a.manager_kind == ManagerKind::kFull ? "full" : "scoped";
}

bool Policy::role_allows(const Actor& a, Verb v, const Target& t) const {
  if (platform_verb(v)) return platform_allows(a, v, t);
  if (token_verb(v) || t.kind == K::kToken) return token_allows(a, v, t);
  // Every login may change its own password; targets of kind kManager stand for any
  // non-mailbox principal here.
  if (v == Verb::kPrincipalPassword && t.kind == K::kManager) {
    if (a.principal_id != 0 && t.id == a.principal_id) return true;
    if (a.role == Role::kCustomer) return t.customer_id == a.customer_id;
  }
  switch (a.role) {
    case Role::kAdmin:
      return true;
    case Role::kCustomer:
    case Role::kManager: {
      bool full = a.role == Role::kCustomer || a.manager_kind == ManagerKind::kFull;
      // Customer-wide objects: the customer itself, its templates, its managers.
      if (t.kind == K::kPlatform) return false;
      if (t.kind == K::kTemplate) {
        if (t.customer_id == 0) return v == Verb::kTemplateRead;  // platform templates
        if (t.customer_id != a.customer_id) return false;
        return v == Verb::kTemplateRead || (full && v == Verb::kTemplateEdit);
      }
      if (t.customer_id != a.customer_id) return false;
      // Queue entries of the customer's domains: all of them for the customer and a full
      // manager, those of its own domains for a scoped manager. Nobody below (postmasters,
      // users, delegates) sees the queue: it holds other people's mail.
      if (t.kind == K::kQueue) {
        if (v != Verb::kQueueRead && v != Verb::kQueueManage) return false;
        return full || (t.domain_id != 0 && contains(a.domain_ids, t.domain_id));
      }
      if (t.kind == K::kCustomer) {
        if (v == Verb::kCustomerRead) return true;
        if (v == Verb::kDomainCreate) return full;
        if (v == Verb::kManagerCreate) return a.role == Role::kCustomer;
        if (v == Verb::kTemplateEdit) return full;                       // creating a template
        if (v == Verb::kCustomerEdit) return a.role == Role::kCustomer;  // branding
        if (v == Verb::kDelegationRead || v == Verb::kAuditRead) return full;
        return false;
      }
      if (t.kind == K::kManager) {
        // Managers never administer managers: a manager must not widen a sibling or itself.
        if (v == Verb::kManagerRead) return full || t.id == a.principal_id;
        return a.role == Role::kCustomer && (v == Verb::kManagerEdit || v == Verb::kManagerDelete);
      }
      if (full) {
        if (t.kind == K::kDelegation)
          return v == Verb::kDelegationRead || v == Verb::kDelegationCreate ||
                 v == Verb::kDelegationDelete;
        if (t.kind == K::kAudit) return v == Verb::kAuditRead;
        return domain_admin_verb(v, true);
      }
      return in_domains(t, a.customer_id, a.domain_ids) && domain_admin_verb(v, true);
    }
    case Role::kPostmaster:
      if (t.kind == K::kTemplate)
        return v == Verb::kTemplateRead && (t.customer_id == 0 || t.customer_id == a.customer_id);
      return in_domains(t, a.customer_id, {a.domain_id}) && domain_admin_verb(v, false);
    case Role::kUser:
      if (t.kind != K::kMailbox || t.mailbox_id != a.mailbox_id) return false;
      // Its own spam settings and quarantine, whatever its services.
      if (v == Verb::kMailboxRead || v == Verb::kMailboxPassword || v == Verb::kSpamSettings ||
          v == Verb::kQuarantineRelease)
        return true;
      if (v == Verb::kAutoresponderEdit) return a.autoresponder_allowed;
      return v == Verb::kForwardEdit && a.forwarding_allowed;
  }
  return false;
}

bool Policy::delegation_allows(const Actor& a, Verb v, const Target& t) const {
  Time now = clock_();
  for (const auto& d : a.delegations) {
    if (!d.active_at(now) || d.customer_id != a.customer_id) continue;
    if (t.kind == K::kTemplate) {
      if (v == Verb::kTemplateRead && contains(d.template_ids, t.id) &&
          contains(d.verbs, Verb::kMailboxCreate))
        return true;
      continue;
    }
    if (!domain_level(t.kind) || !in_domains(t, d.customer_id, d.domain_ids)) continue;
    if (v == Verb::kMailboxCreate) {
      if (contains(d.verbs, v) && t.template_id != 0 && contains(d.template_ids, t.template_id))
        return true;
      continue;
    }
    if (contains(d.verbs, v)) return true;
    // A delegate needs to see what it administers: reads come with any delegated verb.
    if (v == Verb::kDomainRead || v == Verb::kMailboxRead) return true;
    if (v == Verb::kAliasRead && contains(d.verbs, Verb::kAliasEdit)) return true;
  }
  return false;
}

bool Policy::allows(const Actor& a, Verb v, const Target& t) const {
  if (!a.active) return false;
  if (a.token_scope) {
    const TokenScope& s = *a.token_scope;
    if (s.read_only && !is_read(v)) return false;
    // The verbs and domains a token names narrow what it does to the directory; its owner's
    // own tokens lie outside them (any token that may write may revoke its owner's tokens).
    if (t.kind != K::kToken) {
      if (!s.verbs.empty() && !contains(s.verbs, v)) return false;
      if (!s.domain_ids.empty() && (t.domain_id == 0 || !contains(s.domain_ids, t.domain_id)))
        return false;
    }
  }
  return role_allows(a, v, t) || delegation_allows(a, v, t);
}

base::Status Policy::check(const Actor& a, Verb v, const Target& t) const {
  if (allows(a, v, t)) return {};
  auto rv = read_verb(t.kind);
  bool visible = !rv || (*rv != v && allows(a, *rv, t));
  if (!visible) return Error(Errc::kNotFound, "not found");
  return Error(Errc::kForbidden, std::string("not allowed: ") + std::string(verb_name(v)));
}

}  // namespace posthouse::directory
