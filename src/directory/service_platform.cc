// directory::Service: platform-wide settings (platform limits) and the bootstrap of the
// platform admin.
#include <fmt/format.h>

#include "directory/json.h"
#include "directory/service.h"
#include "directory/service_internal.h"

namespace posthouse::directory {

using base::Errc;
using base::Error;
using nlohmann::json;

// ---------------------------------------------------------------- platform limits

base::Result<PlatformLimits> Service::get_platform_limits(const Actor& a) {
  PH_CHECK(authorize(a, Verb::kPlatformRead, Target::platform(), "platform"));
  return PlatformLimits{PH_TRY(store_.get_platform_limits()), PH_TRY(store_.usage_platform())};
}

base::Result<PlatformLimits> Service::set_platform_limits(const Actor& a, const Limits& l) {
  PH_CHECK(authorize(a, Verb::kPlatformLimits, Target::platform(), "platform"));
  PH_CHECK(check_limits_input(l));
  PlatformLimits out;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    auto before = PH_TRY(store_.get_platform_limits());
    PH_CHECK(store_.set_platform_limits(l, now()));
    out = {l, PH_TRY(store_.usage_platform())};
    return audit(a, Verb::kPlatformLimits, "platform", 0, 0, 0, to_json(before), to_json(l));
  }));
  return out;
}

// ---------------------------------------------------------------- bootstrap

base::Status Service::bootstrap_admin(const Actor& a, std::string_view login,
                                      std::string_view password) {
  PH_CHECK(authorize(a, Verb::kPlatformBootstrap, Target::platform(), "platform"));
  return bootstrap_platform_admin(store_, login, password, opts_.password);
}

base::Status bootstrap_platform_admin(store::DirectoryStore& store, std::string_view login,
                                      std::string_view password,
                                      const auth::PasswordOptions& opts) {
  PH_CHECK(auth::check_password_policy(password, opts));
  auto hash = PH_TRY(auth::hash_password(password, opts));
  return store.in_transaction([&]() -> base::Status {
    if (PH_TRY(store.find_principal(login)))
      return Error(Errc::kConflict, fmt::format("login '{}' already exists", login));
    Principal p;
    p.kind = PrincipalKind::kAdmin;
    p.login = std::string(login);
    p.password_hash = hash;
    p.created_at = p.updated_at = system_now();
    PH_TRY(store.insert_principal(p));
    AuditRecord r;
    r.at = system_now();
    r.actor = "system";
    r.actor_kind = "admin";
    r.source = "cli";
    r.verb = "principal.create";
    r.target = "principal:" + p.login;
    r.after = json{{"kind", "admin"}, {"login", p.login}}.dump();
    return store.append_audit(r);
  });
}

}  // namespace posthouse::directory
