// directory::Service: customers (create, read, limits, branding, delete).
#include <fmt/format.h>

#include "base/strings.h"
#include "directory/address.h"
#include "directory/json.h"
#include "directory/service.h"
#include "directory/service_internal.h"

namespace posthouse::directory {

using base::Errc;
using base::Error;
using nlohmann::json;

// ---------------------------------------------------------------- customers

base::Result<Customer> Service::create_customer(const Actor& a, const CustomerSpec& s) {
  PH_CHECK(authorize(a, Verb::kCustomerCreate, Target::platform(), "platform"));
  PH_CHECK(check_text(s.name, kMaxName, "name"));
  if (base::trim(s.name).empty() || s.name.front() == '#')
    return Error(Errc::kInvalid, "customer name must not be empty or start with '#'", "name");
  PH_CHECK(check_limits_input(s.limits));
  PH_CHECK(within(s.limits, PH_TRY(store_.get_platform_limits())));
  std::optional<std::string> hash;
  if (s.password) hash = PH_TRY(hash_new_password(*s.password));
  Customer c;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    if (PH_TRY(store_.find_customer(s.name)))
      return Error(Errc::kConflict, fmt::format("customer '{}' already exists", s.name), "name");
    c.name = s.name;
    c.limits = s.limits;
    c.created_at = c.updated_at = now();
    c.id = PH_TRY(store_.insert_customer(c));
    json after = to_json(c);
    if (!s.login.empty()) {
      PH_CHECK(check_login_text(s.login));
      Principal p;
      p.kind = PrincipalKind::kCustomer;
      p.login = PH_TRY(parse_address(s.login, "login")).str();
      if (PH_TRY(store_.find_principal(p.login)))
        return Error(Errc::kConflict, fmt::format("login '{}' already exists", p.login), "login");
      p.customer_id = c.id;
      p.password_hash = hash.value_or(std::string(auth::kDisabledHash));
      p.created_at = p.updated_at = now();
      PH_TRY(store_.insert_principal(p));
      after["login"] = p.login;
    }
    return audit(a, Verb::kCustomerCreate, "customer:" + c.name, c.id, 0, 0, json(nullptr), after);
  }));
  return c;
}

base::Result<Customer> Service::get_customer(const Actor& a, std::string_view ref) {
  return load_customer(a, ref, Verb::kCustomerRead);
}

base::Result<std::vector<Customer>> Service::list_customers(const Actor& a) {
  std::vector<Customer> out;
  for (auto& c : PH_TRY(store_.list_customers())) {
    if (policy_.allows(a, Verb::kCustomerRead, Target::customer(c.id))) out.push_back(c);
  }
  return out;
}

base::Result<Customer> Service::change_customer(
    const Actor& a, std::string_view ref, Verb v,
    const std::function<base::Status(Customer&)>& change) {
  Customer c;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    c = PH_TRY(load_customer(a, ref, v));
    json before = to_json(c);
    PH_CHECK(change(c));
    c.updated_at = now();
    PH_CHECK(store_.update_customer(c));
    return audit(a, v, "customer:" + c.name, c.id, 0, 0, before, to_json(c));
  }));
  return c;
}

base::Result<Customer> Service::set_customer_limits(const Actor& a, std::string_view ref,
                                                    const Limits& l) {
  PH_CHECK(check_limits_input(l));
  return change_customer(a, ref, Verb::kCustomerLimits, [&](Customer& c) -> base::Status {
    PH_CHECK(within(l, PH_TRY(store_.get_platform_limits())));
    c.limits = l;
    return {};
  });
}

base::Result<Customer> Service::set_customer_branding(const Actor& a, std::string_view ref,
                                                      const Branding& b) {
  PH_CHECK(check_branding(b));
  return change_customer(a, ref, Verb::kCustomerEdit, [&](Customer& c) -> base::Status {
    c.branding = b;
    return {};
  });
}

base::Status Service::delete_customer(const Actor& a, std::string_view ref) {
  return store_.in_transaction([&]() -> base::Status {
    auto c = PH_TRY(load_customer(a, ref, Verb::kCustomerDelete));
    if (!PH_TRY(store_.list_domains(c.id)).empty())
      return Error(Errc::kConflict,
                   fmt::format("customer '{}' still has domains; purge them first", c.name));
    PH_CHECK(store_.delete_customer(c.id));
    return audit(a, Verb::kCustomerDelete, "customer:" + c.name, 0, 0, 0, to_json(c),
                 json(nullptr));
  });
}

base::Result<Usage> Service::customer_usage(const Actor& a, std::string_view ref) {
  auto c = PH_TRY(load_customer(a, ref, Verb::kCustomerRead));
  return store_.usage_customer(c.id);
}

}  // namespace posthouse::directory
