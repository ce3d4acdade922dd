// directory::Service: who is acting (actors, panel/API login), mail logins
// (authenticate) and the passwords of non-mailbox logins.
#include <fmt/format.h>

#include "base/clock.h"
#include "base/ids.h"
#include "directory/address.h"
#include "directory/service.h"
#include "directory/service_internal.h"

namespace posthouse::directory {

using base::Errc;
using base::Error;
using K = Target::Kind;

// ---------------------------------------------------------------- actors

Actor Service::cli_admin() {
  Actor a;
  a.role = Role::kAdmin;
  a.login = "admin";
  a.source = "cli";
  return a;
}

base::Result<Actor> Service::actor_for(std::string_view login_in) {
  std::string login = normalize_login(login_in);
  Actor a;
  if (auto p = PH_TRY(store_.find_principal(login))) {
    a.login = p->login;
    a.principal_id = p->id;
    a.customer_id = p->customer_id;
    a.active = p->status == "active";
    switch (p->kind) {
      case PrincipalKind::kAdmin:
        a.role = Role::kAdmin;
        break;
      case PrincipalKind::kCustomer:
        a.role = Role::kCustomer;
        break;
      case PrincipalKind::kManager:
        a.role = Role::kManager;
        a.manager_kind = p->manager_kind;
        a.domain_ids = p->domain_ids;
        break;
      case PrincipalKind::kPostmaster: {
        a.role = Role::kPostmaster;
        a.domain_id = p->domain_id;
        auto d = PH_TRY(store_.get_domain(p->domain_id));
        if (is_deleted(d.status)) a.active = false;
        break;
      }
    }
    if (a.customer_id) {
      auto c = PH_TRY(store_.get_customer(a.customer_id));
      if (c.status != "active") a.active = false;
    }
    a.delegations = PH_TRY(store_.delegations_of(p->id, 0));
    return a;
  }
  auto addr = parse_address(login, "login");
  if (!addr.ok()) return not_found(fmt::format("principal '{}'", login));
  auto m = PH_TRY(store_.find_mailbox(addr->str()));
  if (!m) return not_found(fmt::format("principal '{}'", login));
  auto d = PH_TRY(store_.get_domain(m->domain_id));
  a.role = Role::kUser;
  a.login = m->address;
  a.mailbox_id = m->id;
  a.domain_id = d.id;
  a.customer_id = d.customer_id;
  a.active = m->status == "active" && !is_deleted(d.status);
  a.forwarding_allowed = m->services.forwarding;
  a.autoresponder_allowed = m->services.autoresponder;
  a.tokens_allowed = m->services.tokens;
  a.delegations = PH_TRY(store_.delegations_of(0, m->id));
  return a;
}

base::Result<Actor> Service::login(std::string_view login_in, std::string_view password) {
  Error bad(Errc::kUnauthenticated, "invalid login or password");
  std::string login = normalize_login(login_in);
  auto p = PH_TRY(store_.find_principal(login));
  std::string hash;
  if (p) {
    hash = p->password_hash;
  } else if (auto addr = parse_address(login); addr.ok()) {
    if (auto m = PH_TRY(store_.find_mailbox(addr->str()))) hash = m->password_hash;
  }
  // Unknown logins and logins without a password cost one verification too, so timing does
  // not tell which logins exist.
  if (hash.empty() || hash == auth::kDisabledHash) hash = PH_TRY(dummy_hash());
  auto v = auth::verify_password(password, hash, opts_.password);
  if (!v.ok) return bad;
  auto a = PH_TRY(actor_for(login));
  if (!a.active) return bad;
  if (v.needs_rehash && p) {
    auto h = auth::hash_password(password, opts_.password);
    if (h.ok()) {
      p->password_hash = *h;
      p->updated_at = now();
      PH_CHECK(store_.update_principal(*p));
    }
  }
  return a;
}

// ---------------------------------------------------------------- principal passwords

base::Status Service::set_principal_password(const Actor& a, std::string_view login,
                                             std::string_view password) {
  auto hash = PH_TRY(hash_new_password(password));
  return store_.in_transaction([&]() -> base::Status {
    std::string what = fmt::format("principal '{}'", login);
    auto p = PH_TRY(store_.find_principal(normalize_login(login)));
    if (!p) return not_found(what);
    PH_CHECK(authorize(a, Verb::kPrincipalPassword, Target::of(K::kManager, p->id, p->customer_id),
                       what));
    p->password_hash = hash;
    p->updated_at = now();
    PH_CHECK(store_.update_principal(*p));
    return audit(a, Verb::kPrincipalPassword, "principal:" + p->login, p->customer_id, p->domain_id,
                 0, {{"password", "old"}}, {{"password", "new"}});
  });
}

// ---------------------------------------------------------------- mail side

base::Result<MailPrincipal> Service::authenticate(std::string_view address,
                                                  std::string_view password,
                                                  std::string_view protocol) {
  Error bad(Errc::kUnauthenticated, "invalid login or password");
  std::optional<Mailbox> m;
  if (auto addr = parse_address(address); addr.ok()) m = PH_TRY(store_.find_mailbox(addr->str()));
  // Unknown users cost one verification with the same parameters too, so timing does not
  // tell which addresses exist.
  bool usable = m && !m->password_hash.empty() && m->password_hash != auth::kDisabledHash;
  // A cache hit stands only for the password check, against this very stored hash; status,
  // domain and services are checked below as for any login.
  auth::CredentialCache* cache = opts_.credential_cache.get();
  std::optional<auth::CredentialCache::Key> key;
  if (cache && cache->enabled() && usable) key = cache->key(m->address, password);
  auto steady = base::steady_now();
  auth::VerifyResult v;
  if (key && cache->lookup(*key, m->id, m->password_hash, steady)) {
    v.ok = true;
  } else {
    v = auth::verify_password(password, usable ? m->password_hash : PH_TRY(dummy_hash()),
                              opts_.password);
  }
  auto refuse = [&] {
    if (key) cache->forget(*key);
    return bad;
  };
  if (!m || !v.ok || m->status != "active") return refuse();
  auto d = PH_TRY(store_.get_domain(m->domain_id));
  if (is_deleted(d.status)) return refuse();
  const Services& s = m->services;
  bool on = protocol == "imap"      ? s.imap
            : protocol == "pop3"    ? s.pop3
            : protocol == "smtp"    ? s.smtp
            : protocol == "webmail" ? s.webmail
                                    : false;
  if (!on)
    return Error(Errc::kForbidden, fmt::format("{} is not enabled for this mailbox", protocol));
  m->last_login_at = now();
  m->last_login_protocol = std::string(protocol);
  if (v.needs_rehash) {
    auto h = auth::hash_password(password, opts_.password);
    if (h.ok()) m->password_hash = *h;
  }
  PH_CHECK(store_.update_mailbox(*m));
  if (key) cache->insert(*key, m->id, m->password_hash, steady);
  return MailPrincipal{m->id,           m->domain_id, m->address,
                       m->display_name, m->services,  m->quota_bytes};
}

void Service::forget_credentials(Id mailbox_id) {
  if (opts_.credential_cache) opts_.credential_cache->forget_principal(mailbox_id);
}

base::Result<std::string> Service::dummy_hash() {
  if (!opts_.dummy_hash.empty()) return opts_.dummy_hash;
  if (dummy_hash_.empty())
    dummy_hash_ = PH_TRY(auth::hash_password(base::random_hex(16), opts_.password));
  return dummy_hash_;
}

}  // namespace posthouse::directory
