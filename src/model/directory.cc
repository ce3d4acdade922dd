#include "model/directory.h"

#include <array>

namespace posthouse::model {
namespace {
constexpr std::array<std::string_view, kVerbCount> kVerbNames = {
    "customer.create", "customer.read",   "customer.edit",   "customer.limits",
    "customer.delete", "manager.create",  "manager.read",    "manager.edit",
    "manager.delete",  "domain.create",   "domain.read",     "domain.edit",
    "domain.limits",   "domain.delete",   "domain.restore",  "domain.purge",
    "postmaster.password", "mailbox.create", "mailbox.read", "mailbox.edit",
    "mailbox.password", "mailbox.delete", "mailbox.restore", "mailbox.purge",
    "alias.read",      "alias.edit",      "forward.edit",    "template.read",
    "template.edit",   "delegation.read", "delegation.create", "delegation.delete",
    "audit.read",      "principal.password", "autoresponder.edit",
    "queue.read",      "queue.manage",
    // platform limits
    "platform.read",   "platform.limits",
    "platform.purge",  "platform.bootstrap", "platform.template",
    "token.create",    "token.revoke",
    "spam.policy",     "spam.settings",   "quarantine.release",
};
}  // namespace

std::string_view verb_name(Verb v) { return kVerbNames[static_cast<int>(v)]; }

std::optional<Verb> verb_from_name(std::string_view name) {
  for (int i = 0; i < kVerbCount; ++i) {
    if (kVerbNames[i] == name) return static_cast<Verb>(i);
  }
  return std::nullopt;
}

bool delegable(Verb v) {
  switch (v) {
    case Verb::kMailboxCreate: case Verb::kMailboxDelete: case Verb::kMailboxRestore:
    case Verb::kMailboxPassword: case Verb::kMailboxEdit: case Verb::kAliasEdit:
    case Verb::kForwardEdit: case Verb::kSpamPolicy: case Verb::kSpamSettings:
    case Verb::kQuarantineRelease:
      return true;
    default:
      return false;
  }
}

std::string_view role_name(Role r) {
  switch (r) {
    case Role::kAdmin: return "admin";
    case Role::kCustomer: return "customer";
    case Role::kManager: return "manager";
    case Role::kPostmaster: return "postmaster";
    case Role::kUser: return "user";
  }
  return "?";
}

std::string_view principal_kind_name(PrincipalKind k) {
  switch (k) {
    case PrincipalKind::kAdmin: return "admin";
    case PrincipalKind::kCustomer: return "customer";
    case PrincipalKind::kManager: return "manager";
    case PrincipalKind::kPostmaster: return "postmaster";
  }
  return "?";
}

}  // namespace posthouse::model
