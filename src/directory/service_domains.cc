// directory::Service: domains (create, limits, catch-all, domain aliases, the postmaster
// password, delete/restore/purge).
#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"

#include "directory/address.h"
#include "directory/json.h"
#include "directory/service.h"
#include "directory/service_internal.h"

namespace posthouse::directory {

using base::Errc;
using base::Error;
using nlohmann::json;

// ---------------------------------------------------------------- domains

base::Result<Domain> Service::create_domain(const Actor& a, const DomainSpec& s) {
  auto name = PH_TRY(normalize_domain(s.name, "name"));
  PH_CHECK(check_limits_input(s.limits));
  if (s.limits.max_domains)
    return Error(Errc::kInvalid, "max_domains is not a domain limit", "limits");
  std::optional<std::string> hash;
  if (s.postmaster_password) hash = PH_TRY(hash_new_password(*s.postmaster_password));
  Domain d;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    Id cid = PH_TRY(customer_for(a, s.customer, Verb::kDomainCreate));
    if (PH_TRY(store_.find_domain(name)) || PH_TRY(store_.find_domain_alias(name)))
      return Error(Errc::kConflict, fmt::format("domain '{}' already exists", name), "name");
    std::vector<Id> managers;
    std::optional<Principal> assign;
    if (!s.manager.empty()) {
      assign = PH_TRY(load_manager(a, s.manager, Verb::kManagerRead));
      if (assign->customer_id != cid) return not_found(fmt::format("manager '{}'", s.manager));
      managers.push_back(assign->id);
    }
    // A full manager creating a domain holds it: it counts against the manager's limits.
    if (Id self = acting_manager(a); self && !contains(managers, self)) managers.push_back(self);
    PH_CHECK(check_domain_slot(cid, managers));
    Limits ceiling = PH_TRY(ceiling_for_customer_child(a, cid));
    for (Id m : managers) tighten(&ceiling, PH_TRY(store_.get_principal(m)).limits);
    Limits want = s.limits;
    want.max_domains = ceiling.max_domains;
    PH_CHECK(within(want, ceiling));
    d.name = name;
    d.customer_id = cid;
    d.limits = s.limits;
    d.created_at = d.updated_at = now();
    d.id = PH_TRY(store_.insert_domain(d));
    for (Id m : managers) {
      auto p = PH_TRY(store_.get_principal(m));
      p.domain_ids.push_back(d.id);
      PH_CHECK(store_.update_principal(p));
    }
    Principal pm;
    pm.kind = PrincipalKind::kPostmaster;
    pm.login = "postmaster@" + name;
    pm.customer_id = cid;
    pm.domain_id = d.id;
    pm.password_hash = hash.value_or(std::string(auth::kDisabledHash));
    pm.created_at = pm.updated_at = now();
    if (PH_TRY(store_.find_principal(pm.login)))
      return Error(Errc::kConflict, fmt::format("login '{}' already exists", pm.login));
    PH_TRY(store_.insert_principal(pm));
    json after = to_json(d);
    after["postmaster"] = {{"login", pm.login}, {"has_password", hash.has_value()}};
    return audit(a, Verb::kDomainCreate, "domain:" + name, cid, d.id, 0, json(nullptr), after);
  }));
  return d;
}

base::Result<Domain> Service::get_domain(const Actor& a, std::string_view ref) {
  return load_domain(a, ref, Verb::kDomainRead);
}

base::Result<std::vector<Domain>> Service::list_domains(const Actor& a, std::string_view customer) {
  // Without a customer: the actor's own (the platform admin has none: every customer's); the
  // policy decides on each domain.
  Id cid = a.customer_id;
  if (!customer.empty()) cid = PH_TRY(customer_for(a, customer, Verb::kCustomerRead));
  std::vector<Domain> out;
  for (auto& d : PH_TRY(store_.list_domains(cid))) {
    if (policy_.allows(a, Verb::kDomainRead, Target::domain(d.customer_id, d.id))) out.push_back(d);
  }
  return out;
}

base::Result<Domain> Service::set_domain_limits(const Actor& a, std::string_view ref,
                                                const Limits& l) {
  PH_CHECK(check_limits_input(l));
  if (l.max_domains) return Error(Errc::kInvalid, "max_domains is not a domain limit", "limits");
  return edit_domain(a, ref, Verb::kDomainLimits, "", [&](Domain& d) -> base::Status {
    PH_CHECK(within(l, PH_TRY(ceiling_for_domain(a, d))));
    d.limits = l;
    return {};
  });
}

base::Result<Domain> Service::set_catchall(const Actor& a, std::string_view ref,
                                           std::optional<std::string> target) {
  std::optional<std::string> norm;
  if (target) norm = PH_TRY(parse_address(*target, "target")).str();
  return edit_domain(a, ref, Verb::kAliasEdit, "domain.catchall", [&](Domain& d) -> base::Status {
    d.catchall = norm;
    return {};
  });
}

base::Result<Domain> Service::edit_domain(const Actor& a, std::string_view ref, Verb v,
                                          std::string_view action,
                                          const std::function<base::Status(Domain&)>& change) {
  Domain d;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    d = PH_TRY(load_domain(a, ref, v));
    json before = to_json(d);
    PH_CHECK(change(d));
    d.updated_at = now();
    PH_CHECK(store_.update_domain(d));
    return audit_custom(a, action.empty() ? verb_name(v) : action, "domain:" + d.name,
                        d.customer_id, d.id, 0, before, to_json(d));
  }));
  return d;
}

base::Status Service::add_domain_alias(const Actor& a, std::string_view alias,
                                       std::string_view ref) {
  auto name = PH_TRY(normalize_domain(alias, "alias"));
  return store_.in_transaction([&]() -> base::Status {
    auto d = PH_TRY(load_domain(a, ref, Verb::kDomainEdit));
    if (PH_TRY(store_.find_domain(name)) || PH_TRY(store_.find_domain_alias(name)))
      return Error(Errc::kConflict, fmt::format("domain '{}' already exists", name), "alias");
    PH_TRY(store_.insert_domain_alias({0, name, d.id}));
    return audit_custom(a, "domain.alias.add", "domain:" + d.name, d.customer_id, d.id, 0,
                        json::object(), {{"alias", name}});
  });
}

base::Status Service::remove_domain_alias(const Actor& a, std::string_view alias) {
  auto name = PH_TRY(normalize_domain(alias, "alias"));
  return store_.in_transaction([&]() -> base::Status {
    auto da = PH_TRY(store_.find_domain_alias(name));
    if (!da) return not_found(fmt::format("domain alias '{}'", alias));
    auto d = PH_TRY(store_.get_domain(da->domain_id));
    PH_CHECK(authorize(a, Verb::kDomainEdit, Target::domain(d.customer_id, d.id),
                       fmt::format("domain alias '{}'", alias)));
    PH_CHECK(store_.delete_domain_alias(da->id));
    return audit_custom(a, "domain.alias.remove", "domain:" + d.name, d.customer_id, d.id, 0,
                        {{"alias", name}}, json::object());
  });
}

base::Result<std::vector<DomainAlias>> Service::list_domain_aliases(const Actor& a,
                                                                    std::string_view ref) {
  auto d = PH_TRY(load_domain(a, ref, Verb::kDomainRead));
  return store_.list_domain_aliases(d.id);
}

base::Status Service::set_postmaster_password(const Actor& a, std::string_view ref,
                                              std::string_view password) {
  auto hash = PH_TRY(hash_new_password(password));
  return store_.in_transaction([&]() -> base::Status {
    auto d = PH_TRY(load_domain(a, ref, Verb::kPostmasterPassword));
    auto pm = PH_TRY(store_.find_principal("postmaster@" + d.name));
    if (!pm) return not_found("postmaster");
    pm->password_hash = hash;
    pm->updated_at = now();
    PH_CHECK(store_.update_principal(*pm));
    return audit(a, Verb::kPostmasterPassword, "principal:" + pm->login, d.customer_id, d.id, 0,
                 {{"password", "old"}}, {{"password", "new"}});
  });
}

base::Status Service::delete_domain(const Actor& a, std::string_view ref) {
  return store_.in_transaction([&]() -> base::Status {
    auto d = PH_TRY(load_domain(a, ref, Verb::kDomainDelete));
    if (is_deleted(d.status))
      return Error(Errc::kConflict, fmt::format("domain '{}' is already deleted", d.name));
    json before = to_json(d);
    d.status = "deleted";
    d.deleted_at = now();
    d.updated_at = now();
    PH_CHECK(store_.update_domain(d));
    for (auto& m : PH_TRY(store_.list_mailboxes(d.id))) {
      if (is_deleted(m.status)) continue;
      m.status = "deleted";
      forget_credentials(m.id);
      m.deleted_at = now();
      m.deleted_with_domain = true;
      m.updated_at = now();
      PH_CHECK(store_.update_mailbox(m));
    }
    return audit(a, Verb::kDomainDelete, "domain:" + d.name, d.customer_id, d.id, 0, before,
                 to_json(d));
  });
}

base::Status Service::restore_domain(const Actor& a, std::string_view ref) {
  return store_.in_transaction([&]() -> base::Status {
    auto d = PH_TRY(load_domain(a, ref, Verb::kDomainRestore));
    if (!is_deleted(d.status))
      return Error(Errc::kConflict, fmt::format("domain '{}' is not deleted", d.name));
    PH_CHECK(check_domain_slot(d.customer_id, PH_TRY(store_.managers_of_domain(d.id))));
    json before = to_json(d);
    d.status = "active";
    d.deleted_at.reset();
    d.updated_at = now();
    PH_CHECK(store_.update_domain(d));
    // Restored whole: the mailboxes that went with the domain come back, each within limits.
    for (auto& m : PH_TRY(store_.list_mailboxes(d.id))) {
      if (!m.deleted_with_domain) continue;
      PH_CHECK(check_mailbox_slot(d, m.quota_bytes, 0, true));
      m.status = "active";
      m.deleted_at.reset();
      m.deleted_with_domain = false;
      m.updated_at = now();
      PH_CHECK(store_.update_mailbox(m));
    }
    return audit(a, Verb::kDomainRestore, "domain:" + d.name, d.customer_id, d.id, 0, before,
                 to_json(d));
  });
}

base::Status Service::purge_domain_rows(const Domain& d) {
  for (auto& m : PH_TRY(store_.list_mailboxes(d.id))) {
    if (opts_.on_mailbox_purged) PH_CHECK(opts_.on_mailbox_purged(m.id));
  }
  return store_.delete_domain(d.id);
}

base::Status Service::purge_domain(const Actor& a, std::string_view ref) {
  return store_.in_transaction([&]() -> base::Status {
    auto d = PH_TRY(load_domain(a, ref, Verb::kDomainPurge));
    if (!is_deleted(d.status))
      return Error(Errc::kConflict,
                   fmt::format("domain '{}' must be deleted before it is purged", d.name));
    PH_CHECK(purge_domain_rows(d));
    return audit(a, Verb::kDomainPurge, "domain:" + d.name, d.customer_id, 0, 0, to_json(d),
                 json(nullptr));
  });
}

base::Result<Usage> Service::domain_usage(const Actor& a, std::string_view ref) {
  auto d = PH_TRY(load_domain(a, ref, Verb::kDomainRead));
  return store_.usage_domain(d.id);
}

}  // namespace posthouse::directory
