// directory::Service: a customer's managers (create, domains, limits, branding, delete).
#include <fmt/format.h>

#include "directory/address.h"
#include "directory/json.h"
#include "directory/service.h"
#include "directory/service_internal.h"

namespace posthouse::directory {

using base::Errc;
using base::Error;
using nlohmann::json;

// ---------------------------------------------------------------- managers

base::Result<Principal> Service::create_manager(const Actor& a, const ManagerSpec& s) {
  PH_CHECK(check_limits_input(s.limits));
  PH_CHECK(check_text(s.display_name, kMaxName, "display_name"));
  auto login = PH_TRY(parse_address(s.login, "login"));
  std::optional<std::string> hash;
  if (s.password) hash = PH_TRY(hash_new_password(*s.password));
  Principal p;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    Id cid = PH_TRY(customer_for(a, s.customer, Verb::kManagerCreate));
    PH_CHECK(within(s.limits, PH_TRY(ceiling_for_customer_child(a, cid))));
    p.kind = PrincipalKind::kManager;
    p.login = login.str();
    p.display_name = s.display_name;
    p.customer_id = cid;
    p.manager_kind = s.kind;
    p.limits = s.limits;
    p.password_hash = hash.value_or(std::string(auth::kDisabledHash));
    for (const auto& name : s.domains) {
      auto d = PH_TRY(load_domain(a, name, Verb::kDomainEdit));
      if (d.customer_id != cid) return not_found(fmt::format("domain '{}'", name));
      if (!contains(p.domain_ids, d.id)) p.domain_ids.push_back(d.id);
    }
    if (PH_TRY(store_.find_principal(p.login)))
      return Error(Errc::kConflict, fmt::format("login '{}' already exists", p.login), "login");
    p.created_at = p.updated_at = now();
    p.id = PH_TRY(store_.insert_principal(p));
    return audit(a, Verb::kManagerCreate, "manager:" + p.login, cid, 0, 0, json(nullptr),
                 to_json(p));
  }));
  return p;
}

base::Result<Principal> Service::get_manager(const Actor& a, std::string_view login) {
  return load_manager(a, login, Verb::kManagerRead);
}

base::Result<std::vector<Principal>> Service::list_managers(const Actor& a,
                                                            std::string_view customer) {
  Id cid = PH_TRY(customer_for(a, customer, Verb::kCustomerRead));
  std::vector<Principal> out;
  for (auto& p : PH_TRY(store_.list_principals(cid))) {
    if (p.kind == PrincipalKind::kManager &&
        policy_.allows(a, Verb::kManagerRead, manager_target(p)))
      out.push_back(p);
  }
  return out;
}

base::Result<Principal> Service::change_manager(
    const Actor& a, std::string_view login, Verb v,
    const std::function<base::Status(Principal&)>& change) {
  Principal p;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    p = PH_TRY(load_manager(a, login, v));
    json before = to_json(p);
    PH_CHECK(change(p));
    p.updated_at = now();
    PH_CHECK(store_.update_principal(p));
    return audit(a, v, "manager:" + p.login, p.customer_id, 0, 0, before, to_json(p));
  }));
  return p;
}

base::Result<Principal> Service::set_manager_domains(const Actor& a, std::string_view login,
                                                     const std::vector<std::string>& domains) {
  return change_manager(a, login, Verb::kManagerEdit, [&](Principal& p) -> base::Status {
    p.domain_ids.clear();
    for (const auto& name : domains) {
      auto d = PH_TRY(load_domain(a, name, Verb::kDomainEdit));
      if (d.customer_id != p.customer_id) return not_found(fmt::format("domain '{}'", name));
      if (!contains(p.domain_ids, d.id)) p.domain_ids.push_back(d.id);
    }
    return {};
  });
}

base::Result<Principal> Service::set_manager_limits(const Actor& a, std::string_view login,
                                                    const Limits& l) {
  PH_CHECK(check_limits_input(l));
  return change_manager(a, login, Verb::kManagerEdit, [&](Principal& p) -> base::Status {
    PH_CHECK(within(l, PH_TRY(ceiling_for_customer_child(a, p.customer_id))));
    p.limits = l;
    return {};
  });
}

base::Result<Principal> Service::set_manager_branding(const Actor& a, std::string_view login,
                                                      const Branding& b) {
  PH_CHECK(check_branding(b));
  return change_manager(a, login, Verb::kManagerEdit, [&](Principal& p) -> base::Status {
    p.branding = b;
    return {};
  });
}

base::Status Service::delete_manager(const Actor& a, std::string_view login) {
  return store_.in_transaction([&]() -> base::Status {
    auto p = PH_TRY(load_manager(a, login, Verb::kManagerDelete));
    PH_CHECK(store_.delete_principal(p.id));
    return audit(a, Verb::kManagerDelete, "manager:" + p.login, p.customer_id, 0, 0, to_json(p),
                 json(nullptr));
  });
}

base::Result<Branding> Service::branding_for_domain(Id domain_id) {
  auto d = PH_TRY(store_.get_domain(domain_id));
  for (Id m : PH_TRY(store_.managers_of_domain(d.id))) {
    auto p = PH_TRY(store_.get_principal(m));
    if (!p.branding.product_name.empty() || !p.branding.sender_address.empty()) return p.branding;
  }
  return PH_TRY(store_.get_customer(d.customer_id)).branding;
}

}  // namespace posthouse::directory
