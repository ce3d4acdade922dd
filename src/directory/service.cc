#include "directory/service.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "base/ids.h"
#include "base/strings.h"
#include "directory/address.h"
#include "directory/json.h"

namespace posthouse::directory {

using base::Errc;
using base::Error;
using nlohmann::json;
using K = Target::Kind;

namespace {

constexpr std::size_t kMaxName = 200;
constexpr int64_t kMaxBytes = int64_t{1} << 50;
constexpr std::string_view kRedacted = "[redacted]";

Time system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Error not_found(std::string_view what) {
  return Error(Errc::kNotFound, fmt::format("{} not found", what));
}

// "#12" names an object by id.
std::optional<Id> id_ref(std::string_view ref) {
  if (ref.size() < 2 || ref[0] != '#') return std::nullopt;
  Id v = 0;
  for (char c : ref.substr(1)) {
    if (c < '0' || c > '9' || v > (int64_t{1} << 50)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

template <class C, class T>
bool contains(const C& c, const T& v) {
  return std::find(c.begin(), c.end(), v) != c.end();
}

// Audit diffs keep only changed fields; anything secret-looking is replaced.
void redact(json& j) {
  if (!j.is_object()) return;
  for (auto& [k, v] : j.items()) {
    if (k.find("password") != std::string::npos || k.find("secret") != std::string::npos ||
        k.find("hash") != std::string::npos || k == "token") {
      if (k != "has_password") v = kRedacted;
    } else {
      redact(v);
    }
  }
}

void diff(const json& before, const json& after, json* b, json* a) {
  if (!before.is_object() || !after.is_object()) {
    *b = before;
    *a = after;
    return;
  }
  *b = json::object();
  *a = json::object();
  for (auto& [k, v] : before.items()) {
    if (!after.contains(k) || after[k] != v) (*b)[k] = v;
  }
  for (auto& [k, v] : after.items()) {
    if (!before.contains(k) || before[k] != v) (*a)[k] = v;
  }
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

// Each limit of `want` must fit under the ceiling. An absent limit fits anywhere: it adds no
// cap at its level, and the levels above still count this level's usage.
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

// Logins that are addresses are stored normalised (IDNA domain, folded ASCII local part).
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

Target manager_target(const Principal& p) {
  Target t = Target::of(K::kManager, p.id, p.customer_id);
  return t;
}

bool is_deleted(const std::string& status) { return status == "deleted"; }

}  // namespace

Service::Service(store::DirectoryStore& store, Options opts, Policy::Clock clock)
    : store_(store), opts_(std::move(opts)), policy_(clock ? std::move(clock) : system_now) {}

// ---------------------------------------------------------------- helpers

base::Status Service::authorize(const Actor& a, Verb v, const Target& t, std::string_view what) {
  auto st = policy_.check(a, v, t);
  if (!st.ok() && st.error().code == Errc::kNotFound) return not_found(what);
  return st;
}

base::Status Service::audit_custom(const Actor& a, std::string_view verb, std::string target,
                                   Id customer, Id domain, Id mailbox, const json& before,
                                   const json& after) {
  AuditRecord r;
  r.at = now();
  r.actor = a.login;
  r.actor_kind = std::string(role_name(a.role));
  r.token_id = a.token_id;
  r.source = a.source;
  r.ip = a.ip;
  r.verb = std::string(verb);
  r.target = std::move(target);
  if (customer) r.customer_id = customer;
  if (domain) r.domain_id = domain;
  if (mailbox) r.mailbox_id = mailbox;
  json b, af;
  diff(before, after, &b, &af);
  redact(b);
  redact(af);
  if (!b.is_null()) r.before = b.dump();
  if (!af.is_null()) r.after = af.dump();
  return store_.append_audit(r);
}

base::Status Service::audit(const Actor& a, Verb v, std::string target, Id customer, Id domain,
                            Id mailbox, const json& before, const json& after) {
  return audit_custom(a, verb_name(v), std::move(target), customer, domain, mailbox, before, after);
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
  if (a.role == Role::kManager) {
    auto self = PH_TRY(store_.get_principal(a.principal_id));
    tighten(&c, self.limits);
  }
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
    if (a.role == Role::kManager && !contains(managers, a.principal_id))
      managers.push_back(a.principal_id);
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
  Id cid = 0;
  if (!customer.empty())
    cid = PH_TRY(customer_for(a, customer, Verb::kCustomerRead));
  else if (a.role != Role::kAdmin)
    cid = a.customer_id;
  std::vector<Domain> out;
  if (a.role != Role::kAdmin && cid == 0) return out;
  for (auto& d : PH_TRY(store_.list_domains(cid))) {
    if (policy_.allows(a, Verb::kDomainRead, Target::domain(d.customer_id, d.id))) out.push_back(d);
  }
  return out;
}

base::Result<Domain> Service::set_domain_limits(const Actor& a, std::string_view ref,
                                                const Limits& l) {
  PH_CHECK(check_limits_input(l));
  if (l.max_domains) return Error(Errc::kInvalid, "max_domains is not a domain limit", "limits");
  Domain d;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    d = PH_TRY(load_domain(a, ref, Verb::kDomainLimits));
    PH_CHECK(within(l, PH_TRY(ceiling_for_domain(a, d))));
    json before = to_json(d);
    d.limits = l;
    d.updated_at = now();
    PH_CHECK(store_.update_domain(d));
    return audit(a, Verb::kDomainLimits, "domain:" + d.name, d.customer_id, d.id, 0, before,
                 to_json(d));
  }));
  return d;
}

base::Result<Domain> Service::set_catchall(const Actor& a, std::string_view ref,
                                           std::optional<std::string> target) {
  std::optional<std::string> norm;
  if (target) norm = PH_TRY(parse_address(*target, "target")).str();
  Domain d;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    d = PH_TRY(load_domain(a, ref, Verb::kAliasEdit));
    json before = to_json(d);
    d.catchall = norm;
    d.updated_at = now();
    PH_CHECK(store_.update_domain(d));
    return audit_custom(a, "domain.catchall", "domain:" + d.name, d.customer_id, d.id, 0, before,
                        to_json(d));
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

// ---------------------------------------------------------------- mailboxes

base::Result<Mailbox> Service::create_mailbox(const Actor& a, const MailboxSpec& s) {
  auto addr = PH_TRY(parse_address(s.address, "address"));
  PH_CHECK(check_text(s.display_name, kMaxName, "display_name"));
  if (s.template_name.empty())
    return Error(Errc::kInvalid, "a mailbox is created from a template (--template)", "template");
  std::optional<std::string> hash;
  if (s.password) hash = PH_TRY(hash_new_password(*s.password));
  Mailbox m;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    auto d = PH_TRY(load_domain(a, addr.domain, Verb::kDomainRead));
    auto t = PH_TRY(find_template_for(d.customer_id, s.template_name));
    Target target = Target::domain(d.customer_id, d.id);
    target.template_id = t.id;
    PH_CHECK(authorize(a, Verb::kMailboxCreate, target, fmt::format("domain '{}'", d.name)));
    if (is_deleted(d.status))
      return Error(Errc::kConflict, fmt::format("domain '{}' is deleted", d.name), "address");
    if (addr.local == "postmaster")
      return Error(Errc::kConflict,
                   "postmaster@ is the domain's administrator login; use an alias to route "
                   "its mail",
                   "address");
    PH_CHECK(check_address_free(addr.str()));
    int64_t quota = s.quota_bytes.value_or(t.settings.quota_bytes);
    PH_CHECK(check_mailbox_slot(d, quota, 0, true));
    m.address = addr.str();
    m.domain_id = d.id;
    m.display_name = s.display_name;
    m.password_hash = hash.value_or(std::string(auth::kDisabledHash));
    m.quota_bytes = quota;
    m.services = t.settings.services;
    m.settings_json = json{{"folders", t.settings.folders},
                           {"language", t.settings.language},
                           {"autoresponder_text", t.settings.autoresponder_text}}
                          .dump();
    m.template_id = t.id;
    m.template_version = t.version;
    m.created_at = m.updated_at = now();
    m.id = PH_TRY(store_.insert_mailbox(m));
    return audit(a, Verb::kMailboxCreate, "mailbox:" + m.address, d.customer_id, d.id, m.id,
                 json(nullptr), to_json(m));
  }));
  return m;
}

base::Result<Mailbox> Service::get_mailbox(const Actor& a, std::string_view ref) {
  return load_mailbox(a, ref, Verb::kMailboxRead);
}

base::Result<std::vector<Mailbox>> Service::list_mailboxes(const Actor& a,
                                                           std::string_view domain) {
  auto d = PH_TRY(load_domain(a, domain, Verb::kDomainRead));
  std::vector<Mailbox> out;
  for (auto& m : PH_TRY(store_.list_mailboxes(d.id))) {
    if (policy_.allows(a, Verb::kMailboxRead, Target::mailbox(d.customer_id, d.id, m.id)))
      out.push_back(m);
  }
  return out;
}

base::Result<Mailbox> Service::edit_mailbox(const Actor& a, std::string_view ref,
                                            const MailboxEdit& e) {
  if (e.display_name) PH_CHECK(check_text(*e.display_name, kMaxName, "display_name"));
  if (e.status && *e.status != "active" && *e.status != "disabled")
    return Error(Errc::kInvalid, "status must be active or disabled", "status");
  Mailbox m;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    m = PH_TRY(load_mailbox(a, ref, Verb::kMailboxEdit));
    if (is_deleted(m.status)) return Error(Errc::kConflict, "mailbox is deleted; restore it first");
    auto d = PH_TRY(store_.get_domain(m.domain_id));
    json before = to_json(m);
    if (e.quota_bytes) {
      PH_CHECK(check_mailbox_slot(d, *e.quota_bytes, m.quota_bytes, false));
      m.quota_bytes = *e.quota_bytes;
    }
    if (e.display_name) m.display_name = *e.display_name;
    if (e.status) {
      m.status = *e.status;
      forget_credentials(m.id);
    }
    if (e.services) {
      PH_CHECK(check_services_grant(a, m, d, *e.services));
      m.services = *e.services;
    }
    m.updated_at = now();
    PH_CHECK(store_.update_mailbox(m));
    return audit(a, Verb::kMailboxEdit, "mailbox:" + m.address, d.customer_id, d.id, m.id, before,
                 to_json(m));
  }));
  return m;
}

// The template is the privilege profile: switching a service on beyond what the mailbox's
// template grants needs the right to edit templates (customer level); switching off is free.
base::Status Service::check_services_grant(const Actor& a, const Mailbox& m, const Domain& d,
                                           const Services& want) {
  if (policy_.allows(a, Verb::kTemplateEdit, Target::customer(d.customer_id))) return {};
  Services granted;
  if (m.template_id) {
    auto t = store_.get_template_version(m.template_id, m.template_version);
    granted = t.ok() ? t->services : Services{false, false, false, false, false, false, false};
  }
  const Services& cur = m.services;
  struct Flag {
    const char* name;
    bool Services::*f;
  };
  for (auto [name, f] :
       {Flag{"imap", &Services::imap}, Flag{"pop3", &Services::pop3}, Flag{"smtp", &Services::smtp},
        Flag{"webmail", &Services::webmail}, Flag{"forwarding", &Services::forwarding},
        Flag{"autoresponder", &Services::autoresponder}, Flag{"tokens", &Services::tokens}}) {
    if (want.*f && !(cur.*f) && !(granted.*f))
      return Error(Errc::kForbidden,
                   fmt::format("{} is not granted by this mailbox's template", name), "services");
  }
  return {};
}

base::Status Service::set_mailbox_password(const Actor& a, std::string_view ref,
                                           std::string_view password) {
  // Authorise before paying for the hash, and again inside the transaction.
  PH_TRY(load_mailbox(a, ref, Verb::kMailboxPassword));
  auto hash = PH_TRY(hash_new_password(password));
  return store_.in_transaction([&]() -> base::Status {
    auto m = PH_TRY(load_mailbox(a, ref, Verb::kMailboxPassword));
    if (is_deleted(m.status)) return Error(Errc::kConflict, "mailbox is deleted; restore it first");
    auto d = PH_TRY(store_.get_domain(m.domain_id));
    m.password_hash = hash;
    m.updated_at = now();
    PH_CHECK(store_.update_mailbox(m));
    forget_credentials(m.id);
    return audit(a, Verb::kMailboxPassword, "mailbox:" + m.address, d.customer_id, d.id, m.id,
                 {{"password", "old"}}, {{"password", "new"}});
  });
}

base::Result<Mailbox> Service::move_mailbox(const Actor& a, std::string_view ref,
                                            std::string_view new_address) {
  auto addr = PH_TRY(parse_address(new_address, "address"));
  Mailbox m;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    m = PH_TRY(load_mailbox(a, ref, Verb::kMailboxEdit));
    if (is_deleted(m.status)) return Error(Errc::kConflict, "mailbox is deleted; restore it first");
    auto from = PH_TRY(store_.get_domain(m.domain_id));
    // The state after the change must be allowed too: rights on the destination domain.
    auto to = PH_TRY(load_domain(a, addr.domain, Verb::kDomainRead));
    Target target = Target::domain(to.customer_id, to.id);
    target.template_id = m.template_id;
    PH_CHECK(authorize(a, Verb::kMailboxCreate, target, fmt::format("domain '{}'", to.name)));
    if (is_deleted(to.status))
      return Error(Errc::kConflict, fmt::format("domain '{}' is deleted", to.name), "address");
    if (addr.local == "postmaster")
      return Error(Errc::kConflict, "postmaster@ is reserved", "address");
    PH_CHECK(check_address_free(addr.str()));
    if (to.id != from.id) PH_CHECK(check_mailbox_slot(to, m.quota_bytes, 0, true));
    json before = to_json(m);
    m.address = addr.str();
    m.domain_id = to.id;
    m.updated_at = now();
    PH_CHECK(store_.update_mailbox(m));
    return audit_custom(a, "mailbox.move", "mailbox:" + m.address, to.customer_id, to.id, m.id,
                        before, to_json(m));
  }));
  return m;
}

base::Status Service::delete_mailbox(const Actor& a, std::string_view ref) {
  return store_.in_transaction([&]() -> base::Status {
    auto m = PH_TRY(load_mailbox(a, ref, Verb::kMailboxDelete));
    if (is_deleted(m.status))
      return Error(Errc::kConflict, fmt::format("mailbox '{}' is already deleted", m.address));
    auto d = PH_TRY(store_.get_domain(m.domain_id));
    json before = to_json(m);
    m.status = "deleted";
    forget_credentials(m.id);
    m.deleted_at = now();
    m.deleted_with_domain = false;
    m.updated_at = now();
    PH_CHECK(store_.update_mailbox(m));
    return audit(a, Verb::kMailboxDelete, "mailbox:" + m.address, d.customer_id, d.id, m.id, before,
                 to_json(m));
  });
}

base::Status Service::restore_mailbox(const Actor& a, std::string_view ref) {
  return store_.in_transaction([&]() -> base::Status {
    auto m = PH_TRY(load_mailbox(a, ref, Verb::kMailboxRestore));
    if (!is_deleted(m.status))
      return Error(Errc::kConflict, fmt::format("mailbox '{}' is not deleted", m.address));
    auto d = PH_TRY(store_.get_domain(m.domain_id));
    if (is_deleted(d.status))
      return Error(Errc::kConflict, fmt::format("domain '{}' is deleted; restore it", d.name));
    PH_CHECK(check_mailbox_slot(d, m.quota_bytes, 0, true));
    json before = to_json(m);
    m.status = "active";
    m.deleted_at.reset();
    m.updated_at = now();
    PH_CHECK(store_.update_mailbox(m));
    return audit(a, Verb::kMailboxRestore, "mailbox:" + m.address, d.customer_id, d.id, m.id,
                 before, to_json(m));
  });
}

base::Status Service::purge_mailbox_row(const Mailbox& m) {
  if (opts_.on_mailbox_purged) PH_CHECK(opts_.on_mailbox_purged(m.id));
  return store_.delete_mailbox(m.id);
}

base::Status Service::purge_mailbox(const Actor& a, std::string_view ref) {
  return store_.in_transaction([&]() -> base::Status {
    auto m = PH_TRY(load_mailbox(a, ref, Verb::kMailboxPurge));
    if (!is_deleted(m.status))
      return Error(Errc::kConflict,
                   fmt::format("mailbox '{}' must be deleted before it is purged", m.address));
    auto d = PH_TRY(store_.get_domain(m.domain_id));
    PH_CHECK(purge_mailbox_row(m));
    return audit(a, Verb::kMailboxPurge, "mailbox:" + m.address, d.customer_id, d.id, m.id,
                 to_json(m), json(nullptr));
  });
}

base::Result<Mailbox> Service::set_forward(const Actor& a, std::string_view ref,
                                           const std::vector<std::string>& targets,
                                           bool keep_copy) {
  auto list = PH_TRY(parse_targets(targets, opts_.max_forward_targets, "targets"));
  Mailbox m;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    m = PH_TRY(load_mailbox(a, ref, Verb::kForwardEdit));
    if (!list.empty() && !m.services.forwarding)
      return Error(Errc::kForbidden, "forwarding is not enabled for this mailbox");
    if (contains(list, m.address))
      return Error(Errc::kInvalid, "a mailbox cannot forward to itself", "targets");
    auto d = PH_TRY(store_.get_domain(m.domain_id));
    json before = to_json(m);
    m.forward_to = list;
    m.forward_keep_copy = keep_copy;
    m.updated_at = now();
    PH_CHECK(store_.update_mailbox(m));
    return audit(a, Verb::kForwardEdit, "mailbox:" + m.address, d.customer_id, d.id, m.id, before,
                 to_json(m));
  }));
  return m;
}

// ---------------------------------------------------------------- aliases

base::Result<Alias> Service::set_alias(const Actor& a, std::string_view address,
                                       const std::vector<std::string>& targets) {
  auto addr = PH_TRY(parse_address(address, "address"));
  auto list = PH_TRY(parse_targets(targets, opts_.max_alias_targets, "targets"));
  if (list.empty()) return Error(Errc::kInvalid, "an alias needs a target", "targets");
  if (contains(list, addr.str()))
    return Error(Errc::kInvalid, "an alias cannot point to itself", "targets");
  Alias al;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    auto d = PH_TRY(load_domain(a, addr.domain, Verb::kAliasEdit));
    if (is_deleted(d.status))
      return Error(Errc::kConflict, fmt::format("domain '{}' is deleted", d.name), "address");
    json before(nullptr);
    if (auto existing = PH_TRY(store_.find_alias(addr.str()))) {
      al = *existing;
      before = to_json(al);
      al.targets = list;
      PH_CHECK(store_.update_alias(al));
    } else {
      if (auto m = PH_TRY(store_.find_mailbox(addr.str())))
        return Error(Errc::kConflict,
                     fmt::format("address '{}' is a mailbox{}", addr.str(),
                                 is_deleted(m->status) ? " (deleted, reserved until purged)" : ""),
                     "address");
      al = {0, addr.str(), d.id, list};
      al.id = PH_TRY(store_.insert_alias(al));
    }
    return audit(a, Verb::kAliasEdit, "alias:" + al.address, d.customer_id, d.id, 0, before,
                 to_json(al));
  }));
  return al;
}

base::Status Service::delete_alias(const Actor& a, std::string_view address) {
  auto addr = PH_TRY(parse_address(address, "address"));
  return store_.in_transaction([&]() -> base::Status {
    auto d = PH_TRY(load_domain(a, addr.domain, Verb::kAliasEdit));
    auto al = PH_TRY(store_.find_alias(addr.str()));
    if (!al) return not_found(fmt::format("alias '{}'", address));
    PH_CHECK(store_.delete_alias(al->id));
    return audit(a, Verb::kAliasEdit, "alias:" + al->address, d.customer_id, d.id, 0, to_json(*al),
                 json(nullptr));
  });
}

base::Result<std::vector<Alias>> Service::list_aliases(const Actor& a, std::string_view domain) {
  auto d = PH_TRY(load_domain(a, domain, Verb::kAliasRead));
  return store_.list_aliases(d.id);
}

// ---------------------------------------------------------------- templates

namespace {
base::Status check_template(std::string_view name, const TemplateSettings& s) {
  PH_CHECK(check_text(name, kMaxName, "name"));
  if (base::trim(name).empty() || name.front() == '#')
    return Error(Errc::kInvalid, "template name must not be empty or start with '#'", "name");
  if (s.quota_bytes <= 0 || s.quota_bytes > kMaxBytes)
    return Error(Errc::kInvalid, "quota must be a positive number of bytes", "quota");
  if (s.folders.size() > 50) return Error(Errc::kTooLarge, "too many folders", "folders");
  for (const auto& f : s.folders) PH_CHECK(check_text(f, 200, "folders"));
  PH_CHECK(check_text(s.language, 16, "language"));
  if (s.autoresponder_text.size() > 64 * 1024)
    return Error(Errc::kTooLarge, "autoresponder text is too long", "autoresponder_text");
  return {};
}
}  // namespace

base::Result<Template> Service::create_template(const Actor& a, std::string_view customer,
                                                std::string_view name, const TemplateSettings& s) {
  PH_CHECK(check_template(name, s));
  Template t;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    Id cid = 0;
    if (customer == "-" || (customer.empty() && a.role == Role::kAdmin)) {
      PH_CHECK(authorize(a, Verb::kCustomerCreate, Target::platform(), "platform"));
    } else {
      cid = PH_TRY(customer_for(a, customer, Verb::kTemplateEdit));
    }
    if (PH_TRY(store_.find_template(cid, name)))
      return Error(Errc::kConflict, fmt::format("template '{}' already exists", name), "name");
    t.customer_id = cid;
    t.name = std::string(name);
    t.settings = s;
    t.version = 1;
    t.id = PH_TRY(store_.insert_template(t));
    return audit(a, Verb::kTemplateEdit, "template:" + t.name, cid, 0, 0, json(nullptr),
                 to_json(t));
  }));
  return t;
}

base::Result<Template> Service::edit_template(const Actor& a, std::string_view customer,
                                              std::string_view name, const TemplateSettings& s) {
  PH_CHECK(check_template(name, s));
  Template t;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    // The template's own target decides below; the customer only narrows the name lookup.
    Id cid = 0;
    if (customer.empty())
      cid = a.customer_id;
    else if (customer != "-")
      cid = PH_TRY(customer_for(a, customer, Verb::kCustomerRead));
    auto found = PH_TRY(store_.find_template(cid, name));
    std::string what = fmt::format("template '{}'", name);
    if (!found) return not_found(what);
    Target target = Target::of(K::kTemplate, found->id, found->customer_id);
    PH_CHECK(authorize(a, Verb::kTemplateEdit, target, what));
    json before = to_json(*found);
    t = *found;
    t.settings = s;
    t.version = PH_TRY(store_.add_template_version(t.id, s));
    return audit(a, Verb::kTemplateEdit, "template:" + t.name, cid, 0, 0, before, to_json(t));
  }));
  return t;
}

base::Result<std::vector<Template>> Service::list_templates(const Actor& a,
                                                            std::string_view customer) {
  Id cid = a.customer_id;
  if (!customer.empty() && customer != "-")
    cid = PH_TRY(customer_for(a, customer, Verb::kCustomerRead));
  std::vector<Template> out;
  for (auto& t : PH_TRY(store_.list_templates(cid))) {
    if (policy_.allows(a, Verb::kTemplateRead, Target::of(K::kTemplate, t.id, t.customer_id)))
      out.push_back(t);
  }
  return out;
}

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

// ---------------------------------------------------------------- audit

base::Result<std::vector<AuditRecord>> Service::list_audit(const Actor& a, int limit,
                                                           Id before_id) {
  limit = std::clamp(limit, 1, 1000);
  Id cid = a.role == Role::kAdmin ? 0 : a.customer_id;
  std::vector<AuditRecord> out;
  if (a.role != Role::kAdmin && cid == 0) return out;
  // Filtered in pages so a narrow scope still fills `limit` from a busy customer's log.
  while (static_cast<int>(out.size()) < limit) {
    auto page = PH_TRY(store_.list_audit(cid, before_id, 500));
    if (page.empty()) break;
    for (auto& r : page) {
      Target t = Target::of(K::kAudit, r.id, r.customer_id.value_or(0), r.domain_id.value_or(0));
      if (policy_.allows(a, Verb::kAuditRead, t) && static_cast<int>(out.size()) < limit)
        out.push_back(r);
    }
    before_id = page.back().id;
  }
  return out;
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
  auto steady = auth::CredentialCache::Clock::now();
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
  if (dummy_hash_.empty())
    dummy_hash_ = PH_TRY(auth::hash_password(base::random_hex(16), opts_.password));
  return dummy_hash_;
}

base::Result<bool> Service::is_local_domain(std::string_view domain) {
  return PH_TRY(local_domain_id(domain)) != 0;
}

base::Result<Id> Service::local_domain_id(std::string_view domain) {
  auto name = normalize_domain(domain);
  if (!name.ok()) return Id{0};
  if (auto d = PH_TRY(store_.find_domain(*name))) return is_deleted(d->status) ? 0 : d->id;
  if (auto da = PH_TRY(store_.find_domain_alias(*name))) {
    auto d = PH_TRY(store_.get_domain(da->domain_id));
    return is_deleted(d.status) ? 0 : d.id;
  }
  return Id{0};
}

base::Status Service::resolve_into(std::string_view address, int depth,
                                   std::vector<std::string>* seen, Resolution* out,
                                   bool allow_catchall) {
  auto parsed = parse_address(address);
  if (!parsed.ok()) return {};
  Address addr = *parsed;
  // Domain aliases rewrite the domain part.
  std::optional<Domain> d = PH_TRY(store_.find_domain(addr.domain));
  if (!d) {
    if (auto da = PH_TRY(store_.find_domain_alias(addr.domain))) {
      d = PH_TRY(store_.get_domain(da->domain_id));
      addr.domain = d->name;
    }
  }
  std::string key = addr.str();
  if (!d || is_deleted(d->status)) {
    if (depth > 0 && !contains(out->external, key)) out->external.push_back(key);
    return {};
  }
  // Loops and runaway chains are cut: each address expands at most once per resolution.
  if (contains(*seen, key) || depth > opts_.max_resolve_depth) return {};
  seen->push_back(key);
  auto add_local = [&](Id id) {
    if (!contains(out->mailboxes, id)) out->mailboxes.push_back(id);
  };
  auto m = PH_TRY(store_.find_mailbox(key));
  if (!m && addr.local.find('+') != std::string::npos) {  // subaddressing: user+tag@
    m = PH_TRY(store_.find_mailbox(addr.local.substr(0, addr.local.find('+')) + "@" + d->name));
  }
  if (m) {
    if (m->status != "active") return {};
    bool forwarding = m->services.forwarding && !m->forward_to.empty();
    if (!forwarding || m->forward_keep_copy) add_local(m->id);
    if (forwarding) {
      for (const auto& t : m->forward_to) PH_CHECK(resolve_into(t, depth + 1, seen, out, true));
    }
    return {};
  }
  if (auto al = PH_TRY(store_.find_alias(key))) {
    for (const auto& t : al->targets) PH_CHECK(resolve_into(t, depth + 1, seen, out, true));
    return {};
  }
  if (addr.local == "postmaster") {
    // RFC 5321 requires postmaster@ to work: without an alias it reaches the customer.
    for (auto& p : PH_TRY(store_.list_principals(d->customer_id))) {
      if (p.kind == PrincipalKind::kCustomer)
        PH_CHECK(resolve_into(p.login, depth + 1, seen, out, false));
    }
    return {};
  }
  if (allow_catchall && d->catchall)
    PH_CHECK(resolve_into(*d->catchall, depth + 1, seen, out, false));
  return {};
}

base::Result<Resolution> Service::resolve_recipient(std::string_view address) {
  auto addr = PH_TRY(parse_address(address, "recipient"));
  if (!PH_TRY(is_local_domain(addr.domain)))
    return Error(Errc::kNotFound, "domain is not local", "recipient");
  Resolution r;
  std::vector<std::string> seen;
  PH_CHECK(resolve_into(addr.str(), 0, &seen, &r, true));
  if (r.mailboxes.empty() && r.external.empty())
    return Error(Errc::kNotFound, "no such recipient", "recipient");
  return r;
}

base::Result<bool> Service::may_send_as(Id mailbox_id, std::string_view address) {
  auto parsed = parse_address(address, "sender");
  if (!parsed.ok()) return false;
  auto m = PH_TRY(store_.get_mailbox(mailbox_id));
  if (m.status != "active") return false;
  if (parsed->str() == m.address) return true;
  Resolution r;
  std::vector<std::string> seen;
  PH_CHECK(resolve_into(parsed->str(), 0, &seen, &r, /*allow_catchall=*/false));
  return contains(r.mailboxes, mailbox_id);
}

// ---------------------------------------------------------------- maintenance

base::Result<int> Service::purge_expired() {
  Actor sys;
  sys.role = Role::kAdmin;
  sys.login = "system";
  sys.source = "system";
  Time cutoff = now() - opts_.retention_days * 86400;
  int n = 0;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    for (Id id : PH_TRY(store_.expired_domains(cutoff))) {
      auto d = PH_TRY(store_.get_domain(id));
      PH_CHECK(purge_domain_rows(d));
      PH_CHECK(audit(sys, Verb::kDomainPurge, "domain:" + d.name, d.customer_id, 0, 0, to_json(d),
                     json(nullptr)));
      ++n;
    }
    for (Id id : PH_TRY(store_.expired_mailboxes(cutoff))) {
      auto m = PH_TRY(store_.get_mailbox(id));
      auto d = PH_TRY(store_.get_domain(m.domain_id));
      PH_CHECK(purge_mailbox_row(m));
      PH_CHECK(audit(sys, Verb::kMailboxPurge, "mailbox:" + m.address, d.customer_id, d.id, m.id,
                     to_json(m), json(nullptr)));
      ++n;
    }
    return {};
  }));
  return n;
}

// ---------------------------------------------------------------- bootstrap

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
