// directory::Service: construction and what every noun shares: authorisation, loading
// objects by name or #id, the nested limit checks, address and target checks, password
// hashing. The operations themselves live one noun per file (service_<noun>.cc).
#include "base/clock.h"
#include "directory/service.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "base/strings.h"
#include "directory/address.h"
#include "directory/service_internal.h"

namespace posthouse::directory {

using base::Errc;
using base::Error;

Time system_now() { return base::unix_now(); }

Error not_found(std::string_view what) {
  return Error(Errc::kNotFound, fmt::format("{} not found", what));
}

std::optional<Id> id_ref(std::string_view ref) {
  if (ref.size() < 2 || ref[0] != '#') return std::nullopt;
  Id v = 0;
  for (char c : ref.substr(1)) {
    if (c < '0' || c > '9' || v > (int64_t{1} << 50)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

base::Status check_limits_input(const Limits& l) {
  const std::pair<const std::optional<int64_t>*, const char*> fields[] = {
      {&l.max_domains, "max_domains"},
      {&l.max_mailboxes, "max_mailboxes"},
      {&l.max_mailbox_bytes, "max_mailbox_bytes"},
      {&l.max_total_bytes, "max_total_bytes"}};
  for (const auto& [v, name] : fields) {
    if (*v && (**v < 0 || **v > kMaxBytes))
      return Error(Errc::kInvalid, fmt::format("{} must be between 0 and 2^50", name), name);
  }
  return {};
}

base::Status within(const Limits& want, const Limits& ceiling) {
  auto one = [](const std::optional<int64_t>& w, const std::optional<int64_t>& c,
                const char* name) -> base::Status {
    if (!c || !w) return {};
    if (*w > *c)
      return Error(Errc::kLimit, fmt::format("{} may not exceed {} (the limit above)", name, *c),
                   name);
    return {};
  };
  PH_CHECK(one(want.max_domains, ceiling.max_domains, "max_domains"));
  PH_CHECK(one(want.max_mailboxes, ceiling.max_mailboxes, "max_mailboxes"));
  PH_CHECK(one(want.max_mailbox_bytes, ceiling.max_mailbox_bytes, "max_mailbox_bytes"));
  PH_CHECK(one(want.max_total_bytes, ceiling.max_total_bytes, "max_total_bytes"));
  return {};
}

void tighten(Limits* c, const Limits& l) {
  auto m = [](std::optional<int64_t>* a, const std::optional<int64_t>& b) {
    if (b && (!*a || *b < **a)) *a = b;
  };
  m(&c->max_domains, l.max_domains);
  m(&c->max_mailboxes, l.max_mailboxes);
  m(&c->max_mailbox_bytes, l.max_mailbox_bytes);
  m(&c->max_total_bytes, l.max_total_bytes);
}

base::Status check_login_text(std::string_view login) {
  auto a = parse_address(login, "login");
  if (!a.ok()) return std::move(a).error();
  return {};
}

std::string normalize_login(std::string_view login) {
  auto a = parse_address(login);
  return a.ok() ? a->str() : base::to_lower(base::trim(login));
}

base::Status check_branding(const Branding& b) {
  for (auto* f : {&b.sender_name, &b.product_name, &b.logo_url})
    PH_CHECK(check_text(*f, kMaxName * 2, "branding"));
  for (auto* f : {&b.welcome_text, &b.reset_text}) {
    if (f->size() > 64 * 1024) return Error(Errc::kTooLarge, "notification text is too long");
  }
  if (!b.sender_address.empty()) PH_TRY(parse_address(b.sender_address, "sender_address"));
  return {};
}

Service::Service(store::DirectoryStore& store, Options opts, Policy::Clock clock)
    : store_(store), opts_(std::move(opts)), policy_(clock ? std::move(clock) : system_now) {}

// ---------------------------------------------------------------- helpers

base::Status Service::authorize(const Actor& a, Verb v, const Target& t, std::string_view what) {
  auto st = policy_.check(a, v, t);
  if (!st.ok() && st.error().code == Errc::kNotFound) return not_found(what);
  return st;
}

base::Result<std::string> Service::hash_new_password(std::string_view password) {
  PH_CHECK(auth::check_password_policy(password, opts_.password));
  return auth::hash_password(password, opts_.password);
}

base::Result<Customer> Service::load_customer(const Actor& a, std::string_view ref, Verb v) {
  std::optional<Customer> c;
  if (auto id = id_ref(ref)) {
    auto r = store_.get_customer(*id);
    if (r.ok())
      c = *r;
    else if (r.error().code != Errc::kNotFound)
      return std::move(r).error();
  } else {
    c = PH_TRY(store_.find_customer(ref));
  }
  std::string what = fmt::format("customer '{}'", ref);
  if (!c) return not_found(what);
  PH_CHECK(authorize(a, v, Target::customer(c->id), what));
  return *c;
}

base::Result<Id> Service::customer_for(const Actor& a, std::string_view ref, Verb v) {
  if (ref.empty()) {
    if (a.customer_id == 0)
      return Error(Errc::kInvalid, "name the customer (--customer)", "customer");
    PH_CHECK(authorize(a, v, Target::customer(a.customer_id), "customer"));
    return a.customer_id;
  }
  auto c = PH_TRY(load_customer(a, ref, v));
  return c.id;
}

base::Result<Domain> Service::load_domain(const Actor& a, std::string_view ref, Verb v) {
  std::optional<Domain> d;
  std::string what = fmt::format("domain '{}'", ref);
  if (auto id = id_ref(ref)) {
    auto r = store_.get_domain(*id);
    if (r.ok())
      d = *r;
    else if (r.error().code != Errc::kNotFound)
      return std::move(r).error();
  } else {
    auto name = normalize_domain(ref);
    if (!name.ok()) return std::move(name).error();
    d = PH_TRY(store_.find_domain(*name));
  }
  if (!d) return not_found(what);
  PH_CHECK(authorize(a, v, Target::domain(d->customer_id, d->id), what));
  return *d;
}

base::Result<Mailbox> Service::load_mailbox(const Actor& a, std::string_view ref, Verb v) {
  std::optional<Mailbox> m;
  std::string what = fmt::format("mailbox '{}'", ref);
  if (auto id = id_ref(ref)) {
    auto r = store_.get_mailbox(*id);
    if (r.ok())
      m = *r;
    else if (r.error().code != Errc::kNotFound)
      return std::move(r).error();
  } else {
    auto addr = parse_address(ref);
    if (!addr.ok()) return std::move(addr).error();
    m = PH_TRY(store_.find_mailbox(addr->str()));
  }
  if (!m) return not_found(what);
  auto d = PH_TRY(store_.get_domain(m->domain_id));
  PH_CHECK(authorize(a, v, Target::mailbox(d.customer_id, d.id, m->id), what));
  return *m;
}

base::Result<Principal> Service::load_manager(const Actor& a, std::string_view login, Verb v) {
  std::string what = fmt::format("manager '{}'", login);
  auto p = PH_TRY(store_.find_principal(normalize_login(login)));
  if (!p || p->kind != PrincipalKind::kManager) return not_found(what);
  PH_CHECK(authorize(a, v, manager_target(*p), what));
  return *p;
}

base::Result<Template> Service::find_template_for(Id customer_id, std::string_view name) {
  std::string what = fmt::format("template '{}'", name);
  if (auto id = id_ref(name)) {
    auto t = store_.get_template(*id);
    if (!t.ok() || (t->customer_id != 0 && t->customer_id != customer_id)) return not_found(what);
    return *t;
  }
  auto t = PH_TRY(store_.find_template(customer_id, name));
  if (!t) t = PH_TRY(store_.find_template(0, name));
  if (!t) return not_found(what);
  return *t;
}

// The tightest limits above a domain: platform, customer, managers holding it, and the
// acting manager's own (a manager may not hand out more than it holds).
base::Result<Limits> Service::ceiling_for_domain(const Actor& a, const Domain& d) {
  Limits c = PH_TRY(ceiling_for_customer_child(a, d.customer_id));
  for (Id m : PH_TRY(store_.managers_of_domain(d.id))) {
    auto p = PH_TRY(store_.get_principal(m));
    tighten(&c, p.limits);
  }
  return c;
}

base::Result<Limits> Service::ceiling_for_customer_child(const Actor& a, Id customer_id) {
  Limits c = PH_TRY(store_.get_platform_limits());
  auto cust = PH_TRY(store_.get_customer(customer_id));
  tighten(&c, cust.limits);
  if (Id self = acting_manager(a)) tighten(&c, PH_TRY(store_.get_principal(self)).limits);
  return c;
}

// Limits are checked on actual usage at every level above the domain, inside the caller's
// write transaction. old_quota: the quota being replaced (edits); new_slot: counts one more.
base::Status Service::check_mailbox_slot(const Domain& d, int64_t quota, int64_t old_quota,
                                         bool new_slot) {
  if (quota <= 0 || quota > kMaxBytes)
    return Error(Errc::kInvalid, "quota must be a positive number of bytes", "quota");
  auto check = [&](const Limits& l, const Usage& u, std::string_view level) -> base::Status {
    if (l.max_mailbox_bytes && quota > *l.max_mailbox_bytes)
      return Error(Errc::kLimit,
                   fmt::format("quota {} exceeds the {} limit of {} bytes per mailbox", quota,
                               level, *l.max_mailbox_bytes),
                   "quota");
    if (new_slot && l.max_mailboxes && u.mailboxes + 1 > *l.max_mailboxes)
      return Error(Errc::kLimit,
                   fmt::format("the {} limit of {} mailboxes is reached", level, *l.max_mailboxes));
    if (l.max_total_bytes && u.bytes - old_quota + quota > *l.max_total_bytes)
      return Error(Errc::kLimit,
                   fmt::format("quota {} exceeds the {}'s remaining {} bytes", quota, level,
                               std::max<int64_t>(0, *l.max_total_bytes - u.bytes + old_quota)),
                   "quota");
    return {};
  };
  PH_CHECK(
      check(PH_TRY(store_.get_platform_limits()), PH_TRY(store_.usage_platform()), "platform"));
  auto cust = PH_TRY(store_.get_customer(d.customer_id));
  PH_CHECK(check(cust.limits, PH_TRY(store_.usage_customer(cust.id)), "customer"));
  for (Id m : PH_TRY(store_.managers_of_domain(d.id))) {
    auto p = PH_TRY(store_.get_principal(m));
    PH_CHECK(check(p.limits, PH_TRY(store_.usage_manager(m)), "manager"));
  }
  PH_CHECK(check(d.limits, PH_TRY(store_.usage_domain(d.id)), "domain"));
  return {};
}

base::Status Service::check_domain_slot(Id customer_id, const std::vector<Id>& managers) {
  auto check = [](const Limits& l, const Usage& u, std::string_view level) -> base::Status {
    if (l.max_domains && u.domains + 1 > *l.max_domains)
      return Error(Errc::kLimit,
                   fmt::format("the {} limit of {} domains is reached", level, *l.max_domains));
    return {};
  };
  PH_CHECK(
      check(PH_TRY(store_.get_platform_limits()), PH_TRY(store_.usage_platform()), "platform"));
  auto cust = PH_TRY(store_.get_customer(customer_id));
  PH_CHECK(check(cust.limits, PH_TRY(store_.usage_customer(customer_id)), "customer"));
  for (Id m : managers) {
    auto p = PH_TRY(store_.get_principal(m));
    PH_CHECK(check(p.limits, PH_TRY(store_.usage_manager(m)), "manager"));
  }
  return {};
}

// Mailbox and alias addresses share one namespace; a deleted mailbox keeps its address.
base::Status Service::check_address_free(std::string_view address) {
  if (auto m = PH_TRY(store_.find_mailbox(address))) {
    if (is_deleted(m->status))
      return Error(Errc::kConflict,
                   fmt::format("address '{}' belongs to a deleted mailbox; it stays reserved "
                               "until purged",
                               address),
                   "address");
    return Error(Errc::kConflict, fmt::format("address '{}' already exists", address), "address");
  }
  if (PH_TRY(store_.find_alias(address)))
    return Error(Errc::kConflict, fmt::format("address '{}' is already an alias", address),
                 "address");
  if (PH_TRY(store_.find_principal(address)) && address.rfind("postmaster@", 0) == 0)
    return Error(Errc::kConflict,
                 fmt::format("address '{}' is reserved for the domain's postmaster", address),
                 "address");
  return {};
}

base::Result<std::vector<std::string>> Service::parse_targets(const std::vector<std::string>& in,
                                                              size_t max, std::string_view field) {
  if (in.size() > max)
    return Error(Errc::kTooLarge, fmt::format("at most {} targets", max), std::string(field));
  std::vector<std::string> out;
  for (const auto& t : in) {
    auto a = PH_TRY(parse_address(t, field));
    if (!contains(out, a.str())) out.push_back(a.str());
  }
  return out;
}

}  // namespace posthouse::directory
