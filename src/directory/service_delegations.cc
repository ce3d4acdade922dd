// directory::Service: delegations (grants of delegable verbs on domains, e.g. an HR user
// manager), never wider than what the granter holds.
#include <fmt/format.h>

#include "directory/address.h"
#include "directory/json.h"
#include "directory/service.h"
#include "directory/service_internal.h"

namespace posthouse::directory {

using base::Errc;
using base::Error;
using nlohmann::json;
using K = Target::Kind;

// ---------------------------------------------------------------- delegations

base::Result<Delegation> Service::create_delegation(const Actor& a, const DelegationSpec& s) {
  if (s.verbs.empty()) return Error(Errc::kInvalid, "name at least one verb", "verbs");
  for (Verb v : s.verbs) {
    if (!delegable(v))
      return Error(Errc::kInvalid, fmt::format("verb {} cannot be delegated", verb_name(v)),
                   "verbs");
  }
  if (s.domains.empty()) return Error(Errc::kInvalid, "name at least one domain", "domains");
  if (s.expires_at && *s.expires_at <= now())
    return Error(Errc::kInvalid, "expiry is in the past", "expires");
  Delegation d;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    Id cid = 0;
    for (const auto& name : s.domains) {
      auto dom = PH_TRY(load_domain(a, name, Verb::kDomainRead));
      if (cid && dom.customer_id != cid)
        return Error(Errc::kInvalid, "a delegation's domains belong to one customer", "domains");
      cid = dom.customer_id;
      if (!contains(d.domain_ids, dom.id)) d.domain_ids.push_back(dom.id);
    }
    for (const auto& tn : s.templates) {
      auto t = PH_TRY(find_template_for(cid, tn));
      PH_CHECK(authorize(a, Verb::kTemplateRead, Target::of(K::kTemplate, t.id, t.customer_id),
                         fmt::format("template '{}'", tn)));
      if (!contains(d.template_ids, t.id)) d.template_ids.push_back(t.id);
    }
    Target target = Target::of(K::kDelegation, 0, cid);
    target.domain_ids = d.domain_ids;
    PH_CHECK(authorize(a, Verb::kDelegationCreate, target, "delegation"));
    // No escalation: the granter must itself hold every verb on every domain (and, for
    // mailbox.create, with every template) it hands out.
    for (Id dom : d.domain_ids) {
      for (Verb v : s.verbs) {
        Target t = Target::domain(cid, dom);
        if (v == Verb::kMailboxCreate) {
          for (Id tid : d.template_ids) {
            t.template_id = tid;
            if (!policy_.allows(a, v, t))
              return Error(Errc::kForbidden, "cannot grant what you do not hold", "verbs");
          }
        } else if (!policy_.allows(a, v, t)) {
          return Error(Errc::kForbidden, "cannot grant what you do not hold", "verbs");
        }
      }
    }
    if (contains(s.verbs, Verb::kMailboxCreate) && d.template_ids.empty())
      return Error(Errc::kInvalid, "mailbox.create needs at least one allowed template",
                   "templates");
    // Grantee: a mailbox or a principal of the same customer, visible to the granter.
    std::string glogin = normalize_login(s.grantee);
    if (auto p = PH_TRY(store_.find_principal(glogin))) {
      // The granter must be able to see the grantee: a manager through manager.read, a
      // postmaster through its domain; others are not grantees.
      bool visible = p->customer_id == cid &&
                     ((p->kind == PrincipalKind::kManager &&
                       policy_.allows(a, Verb::kManagerRead, manager_target(*p))) ||
                      (p->kind == PrincipalKind::kPostmaster &&
                       policy_.allows(a, Verb::kDomainRead, Target::domain(cid, p->domain_id))));
      if (!visible) return not_found(fmt::format("grantee '{}'", s.grantee));
      d.grantee_principal_id = p->id;
    } else {
      auto m = PH_TRY(load_mailbox(a, glogin, Verb::kMailboxRead));
      auto md = PH_TRY(store_.get_domain(m.domain_id));
      if (md.customer_id != cid) return not_found(fmt::format("grantee '{}'", s.grantee));
      d.grantee_mailbox_id = m.id;
    }
    d.customer_id = cid;
    d.grantor_principal_id = a.principal_id;
    d.verbs = s.verbs;
    d.expires_at = s.expires_at;
    d.created_at = now();
    d.id = PH_TRY(store_.insert_delegation(d));
    json after = to_json(d);
    after["grantee"] = glogin;
    return audit(a, Verb::kDelegationCreate, "delegation:" + std::to_string(d.id), cid,
                 d.domain_ids.size() == 1 ? d.domain_ids[0] : 0, 0, json(nullptr), after);
  }));
  return d;
}

base::Status Service::delete_delegation(const Actor& a, Id id) {
  return store_.in_transaction([&]() -> base::Status {
    auto r = store_.get_delegation(id);
    std::string what = fmt::format("delegation {}", id);
    if (!r.ok()) return r.error().code == Errc::kNotFound ? not_found(what) : std::move(r).error();
    Target t = Target::of(K::kDelegation, id, r->customer_id);
    t.domain_ids = r->domain_ids;
    PH_CHECK(authorize(a, Verb::kDelegationDelete, t, what));
    PH_CHECK(store_.delete_delegation(id));
    return audit(a, Verb::kDelegationDelete, "delegation:" + std::to_string(id), r->customer_id,
                 r->domain_ids.size() == 1 ? r->domain_ids[0] : 0, 0, to_json(*r), json(nullptr));
  });
}

base::Result<std::vector<Delegation>> Service::list_delegations(const Actor& a,
                                                                std::string_view customer) {
  Id cid =
      customer.empty() ? a.customer_id : PH_TRY(customer_for(a, customer, Verb::kCustomerRead));
  std::vector<Delegation> out;
  for (auto& d : PH_TRY(store_.list_delegations(cid))) {
    Target t = Target::of(K::kDelegation, d.id, d.customer_id);
    t.domain_ids = d.domain_ids;
    if (policy_.allows(a, Verb::kDelegationRead, t)) out.push_back(d);
  }
  return out;
}

}  // namespace posthouse::directory
