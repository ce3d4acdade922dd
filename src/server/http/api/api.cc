#include "server/http/api/api.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>
#include <optional>

#include "auth/login.h"
#include "base/strings.h"
#include "directory/json.h"
#include "directory/service.h"
#include "queue/dkim.h"
#include "queue/dns_records.h"
#include "server/http/api_util.h"

namespace posthouse::http::api {

namespace d = directory;
using base::Errc;
using base::Error;
using nlohmann::json;

namespace {

constexpr std::string_view kCookie = "ph_session";
constexpr int kDefaultPage = 100;
constexpr int kMaxPage = 1000;

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What a handler returns: a status and a JSON body, plus extra headers (cookies).
struct Reply {
  bhttp::status status = bhttp::status::ok;
  json body = json::object();
  std::vector<std::pair<std::string, std::string>> headers;
};

// One authenticated request as a handler sees it (on a blocking-pool thread).
struct Ctx {
  delivery::Services& s;
  d::Service& dir;
  d::Actor actor;
  Request& req;
  const Deps& deps;
  std::optional<JsonBody> body_;

  const std::string& param(const char* name) const { return req.params.at(name); }
  std::string query(const char* name) const {
    auto it = req.query.find(name);
    return it == req.query.end() ? std::string() : it->second;
  }
  base::Result<JsonBody*> body() {
    if (!body_) body_ = PH_TRY(JsonBody::parse(req.raw.body()));
    return &*body_;
  }
};

using Fn = std::function<base::Result<Reply>(Ctx&)>;

Reply ok(json body, bhttp::status st = bhttp::status::ok) { return Reply{st, std::move(body), {}}; }
Reply created(json body) { return ok(std::move(body), bhttp::status::created); }
Reply no_content() { return Reply{bhttp::status::no_content, nullptr, {}}; }

// Path parameters that name objects by number; anything else names nothing (404).
base::Result<int64_t> int_param(const Ctx& c, const char* name, std::string_view what) {
  const auto& v = c.param(name);
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size())
    return Error(Errc::kNotFound, fmt::format("{} not found", what));
  return n;
}

// ---------------------------------------------------------------- pagination

// Lists are ordered by a stable key (the id, or the name for templates); the cursor is the key
// of the last item returned, and the next page starts after it.
base::Result<int> page_limit(const Ctx& c) {
  auto v = c.query("limit");
  if (v.empty()) return kDefaultPage;
  int n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < 1 || n > kMaxPage)
    return Error(Errc::kInvalid, fmt::format("limit must be an integer from 1 to {}", kMaxPage),
                 "limit");
  return n;
}

base::Result<int64_t> cursor_id(const Ctx& c) {
  auto v = c.query("cursor");
  if (v.empty()) return int64_t{0};
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < 1)
    return Error(Errc::kInvalid, "cursor is not valid", "cursor");
  return n;
}

// items: JSON objects with an integer "id", any order; ascending by id from the cursor.
base::Result<Reply> paged(const Ctx& c, std::vector<json> items) {
  int limit = PH_TRY(page_limit(c));
  int64_t after = PH_TRY(cursor_id(c));
  std::sort(items.begin(), items.end(), [](const json& a, const json& b) {
    return a["id"].get<int64_t>() < b["id"].get<int64_t>();
  });
  json out = json::array();
  json next = nullptr;
  for (auto& it : items) {
    if (it["id"].get<int64_t>() <= after) continue;
    if (static_cast<int>(out.size()) == limit) {
      next = std::to_string(out.back()["id"].get<int64_t>());
      break;
    }
    out.push_back(std::move(it));
  }
  return ok({{"items", out}, {"next_cursor", next}});
}

template <class T>
std::vector<json> to_items(const std::vector<T>& v) {
  std::vector<json> out;
  out.reserve(v.size());
  for (const auto& x : v) out.push_back(d::to_json(x));
  return out;
}

// ---------------------------------------------------------------- body helpers

base::Result<d::Limits> read_limits(JsonBody& b) {
  d::Limits l;
  l.max_domains = PH_TRY(b.opt_int("max_domains"));
  l.max_mailboxes = PH_TRY(b.opt_int("max_mailboxes"));
  l.max_mailbox_bytes = PH_TRY(b.opt_int("max_mailbox_bytes"));
  l.max_total_bytes = PH_TRY(b.opt_int("max_total_bytes"));
  return l;
}
const std::vector<std::pair<std::string, std::string>> kLimitFields = {
    {"max_domains", "integer"},
    {"max_mailboxes", "integer"},
    {"max_mailbox_bytes", "integer"},
    {"max_total_bytes", "integer"}};

// Platform limits with usage, and which limits usage already exceeds (a lowered limit blocks
// new objects but removes nothing).
json platform_limits_json(const d::PlatformLimits& p) {
  const auto& l = p.limits;
  const auto& u = p.usage;
  json over = json::array();
  if (l.max_domains && u.domains > *l.max_domains) over.push_back("max_domains");
  if (l.max_mailboxes && u.mailboxes > *l.max_mailboxes) over.push_back("max_mailboxes");
  if (l.max_total_bytes && u.bytes > *l.max_total_bytes) over.push_back("max_total_bytes");
  return {{"limits", d::to_json(l)}, {"usage", d::to_json(u)}, {"over", over}};
}

base::Result<d::Branding> read_branding(JsonBody& b) {
  d::Branding r;
  auto s = [&](const char* k, std::string* out) -> base::Status {
    auto v = PH_TRY(b.opt_str(k));
    if (v) *out = *v;
    return {};
  };
  PH_CHECK(s("sender_name", &r.sender_name));
  PH_CHECK(s("sender_address", &r.sender_address));
  PH_CHECK(s("product_name", &r.product_name));
  PH_CHECK(s("logo_url", &r.logo_url));
  PH_CHECK(s("welcome_text", &r.welcome_text));
  PH_CHECK(s("reset_text", &r.reset_text));
  return r;
}
const std::vector<std::pair<std::string, std::string>> kBrandingFields = {
    {"sender_name", "string"}, {"sender_address", "string"}, {"product_name", "string"},
    {"logo_url", "string"},    {"welcome_text", "string"},   {"reset_text", "string"}};

// A strict object of booleans (unknown service names are refused, like unknown fields).
base::Result<std::optional<d::Services>> read_services(JsonBody& b, const d::Services& base) {
  auto j = PH_TRY(b.opt_json("services"));
  if (!j) return std::optional<d::Services>();
  if (!j->is_object()) return Error(Errc::kInvalid, "services must be an object", "services");
  d::Services s = base;
  for (auto it = j->begin(); it != j->end(); ++it) {
    bool* f = it.key() == "imap"            ? &s.imap
              : it.key() == "pop3"          ? &s.pop3
              : it.key() == "smtp"          ? &s.smtp
              : it.key() == "webmail"       ? &s.webmail
              : it.key() == "forwarding"    ? &s.forwarding
              : it.key() == "autoresponder" ? &s.autoresponder
              : it.key() == "tokens"        ? &s.tokens
                                            : nullptr;
    if (!f) return Error(Errc::kInvalid, fmt::format("unknown service {}", it.key()), "services");
    if (!it->is_boolean())
      return Error(Errc::kInvalid, fmt::format("services.{} must be true or false", it.key()),
                   "services");
    *f = it->get<bool>();
  }
  return std::optional<d::Services>(s);
}

base::Result<std::vector<d::Verb>> read_verbs(const std::vector<std::string>& names) {
  std::vector<d::Verb> out;
  for (const auto& n : names) {
    auto v = d::verb_from_name(n);
    if (!v) return Error(Errc::kInvalid, fmt::format("unknown verb {}", n.substr(0, 60)), "verbs");
    out.push_back(*v);
  }
  return out;
}

base::Result<std::string> read_password(JsonBody& b) {
  auto p = PH_TRY(b.str("password"));
  PH_CHECK(b.finish());
  return p;
}

base::Result<d::TemplateSettings> read_template_settings(JsonBody& b) {
  d::TemplateSettings s;
  if (auto q = PH_TRY(b.opt_int("quota_bytes"))) s.quota_bytes = *q;
  if (auto sv = PH_TRY(read_services(b, s.services))) s.services = *sv;
  if (auto f = PH_TRY(b.opt_str_list("folders"))) s.folders = *f;
  if (auto l = PH_TRY(b.opt_str("language"))) s.language = *l;
  if (auto t = PH_TRY(b.opt_str("autoresponder_text"))) s.autoresponder_text = *t;
  return s;
}
const std::vector<std::pair<std::string, std::string>> kTemplateFields = {
    {"name", "string"},
    {"customer", "string"},
    {"quota_bytes", "integer"},
    {"services", "object"},
    {"folders", "array"},
    {"language", "string"},
    {"autoresponder_text", "string"}};

json token_json(const d::ApiToken& t, d::Service& dir, const d::Actor& a) {
  json verbs = json::array();
  for (d::Verb v : t.scope.verbs) verbs.push_back(d::verb_name(v));
  json domains = json::array();
  for (d::Id id : t.scope.domain_ids) {
    auto dom = dir.get_domain(a, "#" + std::to_string(id));
    domains.push_back(dom.ok() ? json(dom->name) : json(nullptr));  // gone or out of scope now
  }
  auto opt = [](const auto& o) { return o ? json(*o) : json(nullptr); };
  return {{"id", t.id},
          {"name", t.name},
          {"prefix", t.prefix},
          {"scope",
           {{"domains", domains},
            {"verbs", verbs},
            {"read_only", t.scope.read_only},
            {"ip_allow", t.scope.ip_allow}}},
          {"created_at", t.created_at},
          {"expires_at", opt(t.expires_at)},
          {"last_used_at", opt(t.last_used_at)},
          {"last_used_ip", opt(t.last_used_ip)},
          {"revoked_at", opt(t.revoked_at)},
          {"revoked", t.revoked_at.has_value()}};
}

json autoresponder_json(const d::Autoresponder& r) {
  return {{"enabled", r.enabled},
          {"subject", r.subject},
          {"body", r.body},
          {"start", r.start ? json(*r.start) : json(nullptr)},
          {"end", r.end ? json(*r.end) : json(nullptr)}};
}
const std::vector<std::pair<std::string, std::string>> kAutoresponderFields = {
    {"enabled", "boolean"},
    {"subject", "string"},
    {"body", "string"},
    {"start", "integer"},
    {"end", "integer"}};

base::Result<d::Autoresponder> read_autoresponder(JsonBody& b) {
  d::Autoresponder r;
  auto en = PH_TRY(b.opt_bool("enabled"));
  if (!en) return Error(Errc::kInvalid, "enabled is required", "enabled");
  r.enabled = *en;
  r.subject = PH_TRY(b.opt_str("subject")).value_or("");
  r.body = PH_TRY(b.opt_str("body")).value_or("");
  r.start = PH_TRY(b.opt_int("start"));
  r.end = PH_TRY(b.opt_int("end"));
  PH_CHECK(b.finish());
  return r;
}

base::Result<json> forward_body(Ctx& c, const std::string& ref) {
  auto* b = PH_TRY(c.body());
  auto targets = PH_TRY(b->opt_str_list("targets"));
  if (!targets) return Error(Errc::kInvalid, "targets is required", "targets");
  bool keep = PH_TRY(b->opt_bool("keep_copy")).value_or(true);
  PH_CHECK(b->finish());
  return d::to_json(PH_TRY(c.dir.set_forward(c.actor, ref, *targets, keep)));
}

// Self-service view of one mailbox: settings, quota and usage, services, status, last access.
base::Result<json> mailbox_view(Ctx& c, const std::string& ref) {
  auto m = PH_TRY(c.dir.get_mailbox(c.actor, ref));
  json j = d::to_json(m);
  json usage = {{"quota_bytes", m.quota_bytes}, {"used_bytes", nullptr}, {"messages", nullptr}};
  if (c.deps.mail) {
    if (auto q = c.deps.mail->quota(m.id); q.ok()) {
      usage["used_bytes"] = q->used_bytes;
      usage["messages"] = q->used_messages;
    } else if (q.error().code == Errc::kNotFound) {
      // The message store opens a mailbox's account at its first message: none stored yet.
      usage["used_bytes"] = 0;
      usage["messages"] = 0;
    }
  }
  j["usage"] = usage;
  return j;
}

std::string set_cookie(const Request& req, const std::string& value, int64_t max_age) {
  return fmt::format("{}={}; Path=/api/; Max-Age={}; HttpOnly; SameSite=Strict{}", kCookie, value,
                     max_age, req.tls ? "; Secure" : "");
}

// A changed password ends every cookie session of that login (the caller logs in again).
base::Status end_sessions(Ctx& c, const std::string& kind, d::Id id) {
  return auth::WebSessions(*c.s.sessions, c.deps.sessions).destroy_subject({kind, id});
}
base::Status end_principal_sessions(Ctx& c, const std::string& login) {
  auto p = PH_TRY(c.s.dir_store->find_principal(base::to_lower(login)));
  return p ? end_sessions(c, "principal", p->id) : base::Status{};
}

const std::vector<std::pair<std::string, std::string>> kPasswordField = {{"password", "string"}};

// A delegation the actor may read, with its grantee's login beside the id (for people).
void add_grantee(Ctx& c, json& j) {
  std::optional<std::string> login;
  if (j.contains("grantee_principal_id")) {
    if (auto p = c.s.dir_store->get_principal(j["grantee_principal_id"].get<d::Id>())) login = p->login;
  } else if (j.contains("grantee_mailbox_id")) {
    if (auto m = c.s.dir_store->get_mailbox(j["grantee_mailbox_id"].get<d::Id>())) login = m->address;
  }
  j["grantee"] = login ? json(*login) : json(nullptr);
}

// A manager with its domains' names beside their ids, for people: a name only where the viewer
// may read that domain (else null), so nothing outside the viewer's scope is revealed.
json manager_json(Ctx& c, const d::Principal& p) {
  json j = d::to_json(p);
  json doms = json::array();
  for (d::Id id : p.domain_ids) {
    auto dom = c.dir.get_domain(c.actor, "#" + std::to_string(id));
    doms.push_back({{"id", id}, {"name", dom.ok() ? json(dom->name) : json(nullptr)}});
  }
  j["domains"] = doms;
  return j;
}

// A route calling one Status-returning service function on a path parameter: 204 on success.
Fn status_call(base::Status (d::Service::*f)(const d::Actor&, std::string_view),
               const char* param) {
  return [f, param](Ctx& c) -> base::Result<Reply> {
    PH_CHECK((c.dir.*f)(c.actor, c.param(param)));
    return no_content();
  };
}

// ---------------------------------------------------------------- the route table

struct Entry {
  RouteDoc doc;
  Fn fn;  // null for the session routes, which are built separately
};

using V = bhttp::verb;
using Fields = std::vector<std::pair<std::string, std::string>>;

Fields operator+(Fields a, const Fields& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const std::vector<Entry>& table() {
  static const std::vector<Entry> t = {
      // ------------------------------------------------ session and self
      {{V::post,
        "/api/v1/session",
        "Log in (address + password): sets the session cookie",
        false,
        {{"address", "string"}, {"password", "string"}},
        {}},
       nullptr},
      {{V::delete_, "/api/v1/session", "Log out: ends the cookie session", false, {}, {}}, nullptr},
      {{V::get, "/api/v1/openapi.json", "This OpenAPI document", false, {}, {}}, nullptr},
      {{V::get, "/api/v1/me",
        "Who is acting: role, scope, and for a mailbox its settings, "
        "quota and usage, services, status, last access"},
       [](Ctx& c) -> base::Result<Reply> {
         const auto& a = c.actor;
         json j = {{"login", a.login},
                   {"role", d::role_name(a.role)},
                   {"customer_id", a.customer_id ? json(a.customer_id) : json(nullptr)},
                   {"domain_id", a.domain_id ? json(a.domain_id) : json(nullptr)},
                   {"domain_ids", a.domain_ids},
                   {"token_id", a.token_id ? json(*a.token_id) : json(nullptr)},
                   {"delegations", to_items(a.delegations)}};
         if (a.role == d::Role::kManager)
           j["manager_kind"] = a.manager_kind == d::ManagerKind::kFull ? "full" : "scoped";
         if (a.mailbox_id) j["mailbox"] = PH_TRY(mailbox_view(c, a.login));
         return ok(j);
       }},
      {{V::put, "/api/v1/me/password", "Change one's own password", true, kPasswordField},
       [](Ctx& c) -> base::Result<Reply> {
         auto pw = PH_TRY(read_password(*PH_TRY(c.body())));
         Reply rep = no_content();
         if (c.actor.mailbox_id && !c.actor.principal_id) {
           PH_CHECK(c.dir.set_mailbox_password(c.actor, c.actor.login, pw));
           PH_CHECK(end_sessions(c, "mailbox", c.actor.mailbox_id));
         } else {
           PH_CHECK(c.dir.set_principal_password(c.actor, c.actor.login, pw));
           PH_CHECK(end_sessions(c, "principal", c.actor.principal_id));
         }
         rep.headers.push_back({"Set-Cookie", set_cookie(c.req, "", 0)});
         return rep;
       }},
      {{V::put,
        "/api/v1/me/forward",
        "Set one's own forward (if the template allows it)",
        true,
        {{"targets", "array"}, {"keep_copy", "boolean"}}},
       [](Ctx& c) -> base::Result<Reply> { return ok(PH_TRY(forward_body(c, c.actor.login))); }},
      {{V::get, "/api/v1/me/autoresponder", "One's own autoresponder"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(autoresponder_json(PH_TRY(c.dir.get_autoresponder(c.actor, c.actor.login))));
       }},
      {{V::put, "/api/v1/me/autoresponder", "Set one's own autoresponder", true,
        kAutoresponderFields},
       [](Ctx& c) -> base::Result<Reply> {
         auto r = PH_TRY(read_autoresponder(*PH_TRY(c.body())));
         return ok(autoresponder_json(PH_TRY(c.dir.set_autoresponder(c.actor, c.actor.login, r))));
       }},
      // ------------------------------------------------ customers
      {{V::get, "/api/v1/customers", "Customers in scope", true, {}, {"cursor", "limit"}},
       [](Ctx& c) -> base::Result<Reply> {
         return paged(c, to_items(PH_TRY(c.dir.list_customers(c.actor))));
       }},
      {{V::post, "/api/v1/customers", "Create a customer (platform admin)", true,
        Fields{{"name", "string"}, {"login", "string"}, {"password", "string"}} + kLimitFields},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         d::CustomerSpec s;
         s.name = PH_TRY(b->str("name"));
         s.login = PH_TRY(b->opt_str("login")).value_or("");
         s.password = PH_TRY(b->opt_str("password"));
         s.limits = PH_TRY(read_limits(*b));
         PH_CHECK(b->finish());
         return created(d::to_json(PH_TRY(c.dir.create_customer(c.actor, s))));
       }},
      {{V::get, "/api/v1/customers/:customer", "One customer"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(d::to_json(PH_TRY(c.dir.get_customer(c.actor, c.param("customer")))));
       }},
      {{V::get, "/api/v1/customers/:customer/usage", "A customer's usage"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(d::to_json(PH_TRY(c.dir.customer_usage(c.actor, c.param("customer")))));
       }},
      {{V::put, "/api/v1/customers/:customer/limits", "Set a customer's limits", true,
        kLimitFields},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         auto l = PH_TRY(read_limits(*b));
         PH_CHECK(b->finish());
         return ok(d::to_json(PH_TRY(c.dir.set_customer_limits(c.actor, c.param("customer"), l))));
       }},
      {{V::put, "/api/v1/customers/:customer/branding", "Set a customer's white-label settings",
        true, kBrandingFields},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         auto br = PH_TRY(read_branding(*b));
         PH_CHECK(b->finish());
         return ok(
             d::to_json(PH_TRY(c.dir.set_customer_branding(c.actor, c.param("customer"), br))));
       }},
      // ------------------------------------------------ platform limits (platform admin)
      {{V::get, "/api/v1/platform/limits", "Platform limits and the whole server's usage"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(platform_limits_json(PH_TRY(c.dir.get_platform_limits(c.actor))));
       }},
      {{V::put, "/api/v1/platform/limits",
        "Set the platform limits (absent or null: unlimited; below usage blocks new objects)", true,
        kLimitFields},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         auto l = PH_TRY(read_limits(*b));
         PH_CHECK(b->finish());
         return ok(platform_limits_json(PH_TRY(c.dir.set_platform_limits(c.actor, l))));
       }},
      // ------------------------------------------------ managers
      {{V::get,
        "/api/v1/managers",
        "Managers of a customer",
        true,
        {},
        {"customer", "cursor", "limit"}},
       [](Ctx& c) -> base::Result<Reply> {
         std::vector<json> items;
         for (const auto& p : PH_TRY(c.dir.list_managers(c.actor, c.query("customer"))))
           items.push_back(manager_json(c, p));
         return paged(c, std::move(items));
       }},
      {{V::post, "/api/v1/managers", "Create a manager (scoped or full)", true,
        Fields{{"customer", "string"},
               {"login", "string"},
               {"display_name", "string"},
               {"kind", "string"},
               {"domains", "array"},
               {"password", "string"}} +
            kLimitFields},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         d::ManagerSpec s;
         s.customer = PH_TRY(b->opt_str("customer")).value_or("");
         s.login = PH_TRY(b->str("login"));
         s.display_name = PH_TRY(b->opt_str("display_name")).value_or("");
         auto kind = PH_TRY(b->opt_str("kind")).value_or("scoped");
         if (kind != "scoped" && kind != "full")
           return Error(Errc::kInvalid, "kind must be scoped or full", "kind");
         s.kind = kind == "full" ? d::ManagerKind::kFull : d::ManagerKind::kScoped;
         s.domains = PH_TRY(b->opt_str_list("domains")).value_or(std::vector<std::string>{});
         s.password = PH_TRY(b->opt_str("password"));
         s.limits = PH_TRY(read_limits(*b));
         PH_CHECK(b->finish());
         return created(manager_json(c, PH_TRY(c.dir.create_manager(c.actor, s))));
       }},
      {{V::get, "/api/v1/managers/:login", "One manager"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(manager_json(c, PH_TRY(c.dir.get_manager(c.actor, c.param("login")))));
       }},
      {{V::put,
        "/api/v1/managers/:login/domains",
        "Set a scoped manager's domains",
        true,
        {{"domains", "array"}}},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         auto doms = PH_TRY(b->opt_str_list("domains"));
         if (!doms) return Error(Errc::kInvalid, "domains is required", "domains");
         PH_CHECK(b->finish());
         return ok(
             manager_json(c, PH_TRY(c.dir.set_manager_domains(c.actor, c.param("login"), *doms))));
       }},
      {{V::put, "/api/v1/managers/:login/limits", "Set a manager's limits", true, kLimitFields},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         auto l = PH_TRY(read_limits(*b));
         PH_CHECK(b->finish());
         return ok(manager_json(c, PH_TRY(c.dir.set_manager_limits(c.actor, c.param("login"), l))));
       }},
      {{V::put, "/api/v1/managers/:login/branding", "Set a manager's white-label settings", true,
        kBrandingFields},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         auto br = PH_TRY(read_branding(*b));
         PH_CHECK(b->finish());
         return ok(
             manager_json(c, PH_TRY(c.dir.set_manager_branding(c.actor, c.param("login"), br))));
       }},
      {{V::put, "/api/v1/managers/:login/password", "Set a manager's (or any login's) password",
        true, kPasswordField},
       [](Ctx& c) -> base::Result<Reply> {
         auto pw = PH_TRY(read_password(*PH_TRY(c.body())));
         PH_CHECK(c.dir.set_principal_password(c.actor, c.param("login"), pw));
         PH_CHECK(end_principal_sessions(c, c.param("login")));
         return no_content();
       }},
      {{V::delete_, "/api/v1/managers/:login", "Delete a manager"},
       status_call(&d::Service::delete_manager, "login")},
      // ------------------------------------------------ domains
      {{V::get,
        "/api/v1/domains",
        "Domains in scope (deleted ones too, with status)",
        true,
        {},
        {"customer", "status", "cursor", "limit"}},
       [](Ctx& c) -> base::Result<Reply> {
         auto items = to_items(PH_TRY(c.dir.list_domains(c.actor, c.query("customer"))));
         if (auto st = c.query("status"); !st.empty())
           std::erase_if(items, [&](const json& j) { return j["status"] != st; });
         return paged(c, std::move(items));
       }},
      {{V::post, "/api/v1/domains", "Create a domain (and its postmaster)", true,
        Fields{{"name", "string"},
               {"customer", "string"},
               {"postmaster_password", "string"},
               {"manager", "string"}} +
            kLimitFields},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         d::DomainSpec s;
         s.name = PH_TRY(b->str("name"));
         s.customer = PH_TRY(b->opt_str("customer")).value_or("");
         s.postmaster_password = PH_TRY(b->opt_str("postmaster_password"));
         s.manager = PH_TRY(b->opt_str("manager")).value_or("");
         s.limits = PH_TRY(read_limits(*b));
         PH_CHECK(b->finish());
         auto dom = PH_TRY(c.dir.create_domain(c.actor, s));
         queue::create_domain_keys(*c.s.dkim_keys, dom.name, c.deps.dkim_selector);
         return created(d::to_json(dom));
       }},
      {{V::get, "/api/v1/domains/:domain", "One domain with its usage"},
       [](Ctx& c) -> base::Result<Reply> {
         json j = d::to_json(PH_TRY(c.dir.get_domain(c.actor, c.param("domain"))));
         j["usage"] = d::to_json(PH_TRY(c.dir.domain_usage(c.actor, c.param("domain"))));
         return ok(j);
       }},
      {{V::get, "/api/v1/domains/:domain/dns", "The DNS records a domain needs (MX, SPF, DKIM, "
                                                "DMARC, autoconfig SRV)"},
       [](Ctx& c) -> base::Result<Reply> {
         auto dm = PH_TRY(c.dir.get_domain(c.actor, c.param("domain")));
         queue::DkimKeys keys(*c.s.dkim_keys);
         auto k = PH_TRY(keys.ensure(dm.name, c.deps.dkim_selector, std::time(nullptr)));
         json j = json::array();
         for (const auto& r : queue::domain_dns_records(dm.name, c.deps.hostname, k)) {
           j.push_back({{"name", r.name}, {"type", r.type}, {"value", r.value}});
         }
         return ok(j);
       }},
      {{V::get, "/api/v1/domains/:domain/usage", "A domain's usage"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(d::to_json(PH_TRY(c.dir.domain_usage(c.actor, c.param("domain")))));
       }},
      {{V::put, "/api/v1/domains/:domain/limits", "Set a domain's limits", true,
        Fields{{"max_mailboxes", "integer"},
               {"max_mailbox_bytes", "integer"},
               {"max_total_bytes", "integer"}}},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         d::Limits l;
         l.max_mailboxes = PH_TRY(b->opt_int("max_mailboxes"));
         l.max_mailbox_bytes = PH_TRY(b->opt_int("max_mailbox_bytes"));
         l.max_total_bytes = PH_TRY(b->opt_int("max_total_bytes"));
         PH_CHECK(b->finish());
         return ok(d::to_json(PH_TRY(c.dir.set_domain_limits(c.actor, c.param("domain"), l))));
       }},
      {{V::put,
        "/api/v1/domains/:domain/catchall",
        "Set or clear (null) the catch-all target",
        true,
        {{"target", "string"}}},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         auto target = PH_TRY(b->opt_str("target"));
         PH_CHECK(b->finish());
         return ok(d::to_json(PH_TRY(c.dir.set_catchall(c.actor, c.param("domain"), target))));
       }},
      {{V::put, "/api/v1/domains/:domain/postmaster-password", "Set the postmaster's password",
        true, kPasswordField},
       [](Ctx& c) -> base::Result<Reply> {
         auto pw = PH_TRY(read_password(*PH_TRY(c.body())));
         PH_CHECK(c.dir.set_postmaster_password(c.actor, c.param("domain"), pw));
         auto dom = PH_TRY(c.dir.get_domain(c.actor, c.param("domain")));
         PH_CHECK(end_principal_sessions(c, "postmaster@" + dom.name));
         return no_content();
       }},
      {{V::get, "/api/v1/domains/:domain/aliases", "Domain aliases of a domain"},
       [](Ctx& c) -> base::Result<Reply> {
         json items = json::array();
         for (const auto& a : PH_TRY(c.dir.list_domain_aliases(c.actor, c.param("domain"))))
           items.push_back({{"id", a.id}, {"name", a.name}, {"domain_id", a.domain_id}});
         return ok({{"items", items}, {"next_cursor", nullptr}});
       }},
      {{V::put, "/api/v1/domains/:domain/aliases/:alias", "Add a domain alias"},
       [](Ctx& c) -> base::Result<Reply> {
         PH_CHECK(c.dir.add_domain_alias(c.actor, c.param("alias"), c.param("domain")));
         return no_content();
       }},
      {{V::delete_, "/api/v1/domain-aliases/:alias", "Remove a domain alias"},
       status_call(&d::Service::remove_domain_alias, "alias")},
      {{V::delete_, "/api/v1/domains/:domain", "Delete a domain (restorable)"},
       status_call(&d::Service::delete_domain, "domain")},
      {{V::post, "/api/v1/domains/:domain/restore", "Restore a deleted domain"},
       [](Ctx& c) -> base::Result<Reply> {
         PH_CHECK(c.dir.restore_domain(c.actor, c.param("domain")));
         return ok(d::to_json(PH_TRY(c.dir.get_domain(c.actor, c.param("domain")))));
       }},
      {{V::post, "/api/v1/domains/:domain/purge", "Purge a deleted domain for good"},
       status_call(&d::Service::purge_domain, "domain")},
      // ------------------------------------------------ mailboxes
      {{V::get,
        "/api/v1/mailboxes",
        "Mailboxes in scope",
        true,
        {},
        {"domain", "status", "cursor", "limit"}},
       [](Ctx& c) -> base::Result<Reply> {
         std::vector<json> items;
         if (auto dom = c.query("domain"); !dom.empty()) {
           items = to_items(PH_TRY(c.dir.list_mailboxes(c.actor, dom)));
         } else {
           for (const auto& dm : PH_TRY(c.dir.list_domains(c.actor, ""))) {
             auto ms = c.dir.list_mailboxes(c.actor, "#" + std::to_string(dm.id));
             if (!ms.ok()) continue;  // a domain visible without mailbox.read on it
             for (auto& j : to_items(*ms)) items.push_back(std::move(j));
           }
         }
         if (auto st = c.query("status"); !st.empty())
           std::erase_if(items, [&](const json& j) { return j["status"] != st; });
         return paged(c, std::move(items));
       }},
      {{V::post,
        "/api/v1/mailboxes",
        "Create a mailbox from a template",
        true,
        {{"address", "string"},
         {"display_name", "string"},
         {"template", "string"},
         {"password", "string"},
         {"quota_bytes", "integer"}}},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         d::MailboxSpec s;
         s.address = PH_TRY(b->str("address"));
         s.display_name = PH_TRY(b->opt_str("display_name")).value_or("");
         s.template_name = PH_TRY(b->str("template"));
         s.password = PH_TRY(b->opt_str("password"));
         s.quota_bytes = PH_TRY(b->opt_int("quota_bytes"));
         PH_CHECK(b->finish());
         return created(d::to_json(PH_TRY(c.dir.create_mailbox(c.actor, s))));
       }},
      {{V::get, "/api/v1/mailboxes/:address", "One mailbox with quota and usage"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(PH_TRY(mailbox_view(c, c.param("address"))));
       }},
      {{V::patch,
        "/api/v1/mailboxes/:address",
        "Edit a mailbox",
        true,
        {{"display_name", "string"},
         {"quota_bytes", "integer"},
         {"status", "string"},
         {"services", "object"}}},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         d::MailboxEdit e;
         e.display_name = PH_TRY(b->opt_str("display_name"));
         e.quota_bytes = PH_TRY(b->opt_int("quota_bytes"));
         e.status = PH_TRY(b->opt_str("status"));
         if (b->raw().contains("services")) {
           auto cur = PH_TRY(c.dir.get_mailbox(c.actor, c.param("address")));
           e.services = PH_TRY(read_services(*b, cur.services));
         } else {
           PH_TRY(b->opt_json("services"));
         }
         PH_CHECK(b->finish());
         return ok(d::to_json(PH_TRY(c.dir.edit_mailbox(c.actor, c.param("address"), e))));
       }},
      {{V::put, "/api/v1/mailboxes/:address/password", "Set a mailbox's password", true,
        kPasswordField},
       [](Ctx& c) -> base::Result<Reply> {
         auto pw = PH_TRY(read_password(*PH_TRY(c.body())));
         PH_CHECK(c.dir.set_mailbox_password(c.actor, c.param("address"), pw));
         auto m = PH_TRY(c.dir.get_mailbox(c.actor, c.param("address")));
         PH_CHECK(end_sessions(c, "mailbox", m.id));
         return no_content();
       }},
      {{V::post,
        "/api/v1/mailboxes/:address/move",
        "Rename or move a mailbox to another domain",
        true,
        {{"address", "string"}}},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         auto to = PH_TRY(b->str("address"));
         PH_CHECK(b->finish());
         return ok(d::to_json(PH_TRY(c.dir.move_mailbox(c.actor, c.param("address"), to))));
       }},
      {{V::put,
        "/api/v1/mailboxes/:address/forward",
        "Set (or clear with []) a forward",
        true,
        {{"targets", "array"}, {"keep_copy", "boolean"}}},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(PH_TRY(forward_body(c, c.param("address"))));
       }},
      {{V::get, "/api/v1/mailboxes/:address/autoresponder", "A mailbox's autoresponder"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(
             autoresponder_json(PH_TRY(c.dir.get_autoresponder(c.actor, c.param("address")))));
       }},
      {{V::put, "/api/v1/mailboxes/:address/autoresponder", "Set a mailbox's autoresponder", true,
        kAutoresponderFields},
       [](Ctx& c) -> base::Result<Reply> {
         auto r = PH_TRY(read_autoresponder(*PH_TRY(c.body())));
         return ok(
             autoresponder_json(PH_TRY(c.dir.set_autoresponder(c.actor, c.param("address"), r))));
       }},
      {{V::delete_, "/api/v1/mailboxes/:address", "Delete a mailbox (restorable)"},
       status_call(&d::Service::delete_mailbox, "address")},
      {{V::post, "/api/v1/mailboxes/:address/restore", "Restore a deleted mailbox"},
       [](Ctx& c) -> base::Result<Reply> {
         PH_CHECK(c.dir.restore_mailbox(c.actor, c.param("address")));
         return ok(d::to_json(PH_TRY(c.dir.get_mailbox(c.actor, c.param("address")))));
       }},
      {{V::post, "/api/v1/mailboxes/:address/purge", "Purge a deleted mailbox for good"},
       status_call(&d::Service::purge_mailbox, "address")},
      // ------------------------------------------------ forwards, aliases, deleted items
      {{V::get,
        "/api/v1/forwards",
        "Mailboxes that forward, in scope",
        true,
        {},
        {"domain", "cursor", "limit"}},
       [](Ctx& c) -> base::Result<Reply> {
         std::vector<json> items;
         std::vector<std::string> doms;
         if (auto dom = c.query("domain"); !dom.empty()) {
           doms.push_back(dom);
         } else {
           for (const auto& dm : PH_TRY(c.dir.list_domains(c.actor, "")))
             doms.push_back("#" + std::to_string(dm.id));
         }
         for (const auto& dom : doms) {
           auto ms = c.dir.list_mailboxes(c.actor, dom);
           if (!ms.ok()) {
             if (doms.size() == 1) return std::move(ms).error();
             continue;
           }
           for (const auto& m : *ms) {
             if (m.forward_to.empty()) continue;
             items.push_back({{"id", m.id},
                              {"address", m.address},
                              {"to", m.forward_to},
                              {"keep_copy", m.forward_keep_copy}});
           }
         }
         return paged(c, std::move(items));
       }},
      {{V::get, "/api/v1/aliases", "Aliases in scope", true, {}, {"domain", "cursor", "limit"}},
       [](Ctx& c) -> base::Result<Reply> {
         std::vector<json> items;
         if (auto dom = c.query("domain"); !dom.empty()) {
           items = to_items(PH_TRY(c.dir.list_aliases(c.actor, dom)));
         } else {
           for (const auto& dm : PH_TRY(c.dir.list_domains(c.actor, ""))) {
             auto as = c.dir.list_aliases(c.actor, "#" + std::to_string(dm.id));
             if (!as.ok()) continue;
             for (auto& j : to_items(*as)) items.push_back(std::move(j));
           }
         }
         return paged(c, std::move(items));
       }},
      {{V::put,
        "/api/v1/aliases/:address",
        "Create or replace an alias",
        true,
        {{"targets", "array"}}},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         auto targets = PH_TRY(b->opt_str_list("targets"));
         if (!targets) return Error(Errc::kInvalid, "targets is required", "targets");
         PH_CHECK(b->finish());
         return ok(d::to_json(PH_TRY(c.dir.set_alias(c.actor, c.param("address"), *targets))));
       }},
      {{V::delete_, "/api/v1/aliases/:address", "Delete an alias"},
       status_call(&d::Service::delete_alias, "address")},
      {{V::get,
        "/api/v1/deleted",
        "Deleted (restorable) domains and mailboxes in scope",
        true,
        {},
        {"domain"}},
       [](Ctx& c) -> base::Result<Reply> {
         json doms = json::array(), mbs = json::array();
         std::vector<std::string> refs;
         if (auto dom = c.query("domain"); !dom.empty()) {
           auto dm = PH_TRY(c.dir.get_domain(c.actor, dom));
           if (dm.status == "deleted") doms.push_back(d::to_json(dm));
           refs.push_back(dom);
         } else {
           for (const auto& dm : PH_TRY(c.dir.list_domains(c.actor, ""))) {
             if (dm.status == "deleted") doms.push_back(d::to_json(dm));
             refs.push_back("#" + std::to_string(dm.id));
           }
         }
         for (const auto& r : refs) {
           auto ms = c.dir.list_mailboxes(c.actor, r);
           if (!ms.ok()) continue;
           for (const auto& m : *ms)
             if (m.status == "deleted") mbs.push_back(d::to_json(m));
         }
         return ok({{"domains", doms}, {"mailboxes", mbs}});
       }},
      // ------------------------------------------------ templates
      {{V::get,
        "/api/v1/templates",
        "Templates the actor may read",
        true,
        {},
        {"customer", "cursor", "limit"}},
       [](Ctx& c) -> base::Result<Reply> {
         return paged(c, to_items(PH_TRY(c.dir.list_templates(c.actor, c.query("customer")))));
       }},
      {{V::post, "/api/v1/templates", "Create a template (customer \"-\": platform-wide)", true,
        kTemplateFields},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         auto name = PH_TRY(b->str("name"));
         auto cust = PH_TRY(b->opt_str("customer")).value_or("");
         auto s = PH_TRY(read_template_settings(*b));
         PH_CHECK(b->finish());
         return created(d::to_json(PH_TRY(c.dir.create_template(c.actor, cust, name, s))));
       }},
      {{V::put,
        "/api/v1/templates/:name",
        "Edit a template (adds a version)",
        true,
        Fields(kTemplateFields.begin() + 1, kTemplateFields.end()),
        {"customer"}},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         auto cust = PH_TRY(b->opt_str("customer")).value_or(c.query("customer"));
         auto s = PH_TRY(read_template_settings(*b));
         PH_CHECK(b->finish());
         return ok(d::to_json(PH_TRY(c.dir.edit_template(c.actor, cust, c.param("name"), s))));
       }},
      {{V::get,
        "/api/v1/templates/:name/versions/:version",
        "One version of a template",
        true,
        {},
        {"customer"}},
       [](Ctx& c) -> base::Result<Reply> {
         int64_t n = PH_TRY(int_param(c, "version", "template version"));
         auto s =
             PH_TRY(c.dir.get_template_version(c.actor, c.query("customer"), c.param("name"), n));
         return ok({{"name", c.param("name")}, {"version", n}, {"settings", d::to_json(s)}});
       }},
      // ------------------------------------------------ delegations
      {{V::get,
        "/api/v1/delegations",
        "Delegations in scope",
        true,
        {},
        {"customer", "domain", "cursor", "limit"}},
       [](Ctx& c) -> base::Result<Reply> {
         auto items = to_items(PH_TRY(c.dir.list_delegations(c.actor, c.query("customer"))));
         for (auto& j : items) add_grantee(c, j);
         if (auto dom = c.query("domain"); !dom.empty()) {
           auto dm = PH_TRY(c.dir.get_domain(c.actor, dom));
           std::erase_if(items, [&](const json& j) {
             const auto& ids = j["domain_ids"];
             return std::find(ids.begin(), ids.end(), json(dm.id)) == ids.end();
           });
         }
         return paged(c, std::move(items));
       }},
      {{V::post,
        "/api/v1/delegations",
        "Delegate verbs on domains to a login",
        true,
        {{"grantee", "string"},
         {"verbs", "array"},
         {"domains", "array"},
         {"templates", "array"},
         {"expires_at", "integer"}}},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         d::DelegationSpec s;
         s.grantee = PH_TRY(b->str("grantee"));
         s.verbs = PH_TRY(
             read_verbs(PH_TRY(b->opt_str_list("verbs")).value_or(std::vector<std::string>{})));
         s.domains = PH_TRY(b->opt_str_list("domains")).value_or(std::vector<std::string>{});
         s.templates = PH_TRY(b->opt_str_list("templates")).value_or(std::vector<std::string>{});
         s.expires_at = PH_TRY(b->opt_int("expires_at"));
         PH_CHECK(b->finish());
         json j = d::to_json(PH_TRY(c.dir.create_delegation(c.actor, s)));
         add_grantee(c, j);
         return created(j);
       }},
      {{V::delete_, "/api/v1/delegations/:id", "Delete a delegation"},
       [](Ctx& c) -> base::Result<Reply> {
         PH_CHECK(c.dir.delete_delegation(c.actor, PH_TRY(int_param(c, "id", "delegation"))));
         return no_content();
       }},
      // ------------------------------------------------ tokens
      {{V::get,
        "/api/v1/tokens",
        "One's own API tokens (never the secret)",
        true,
        {},
        {"cursor", "limit"}},
       [](Ctx& c) -> base::Result<Reply> {
         std::vector<json> items;
         for (const auto& t : PH_TRY(c.dir.list_tokens(c.actor)))
           items.push_back(token_json(t, c.dir, c.actor));
         return paged(c, std::move(items));
       }},
      {{V::post,
        "/api/v1/tokens",
        "Create an API token; the secret is in this answer only",
        true,
        {{"name", "string"},
         {"domains", "array"},
         {"verbs", "array"},
         {"read_only", "boolean"},
         {"ip_allow", "array"},
         {"expires_at", "integer"}}},
       [](Ctx& c) -> base::Result<Reply> {
         auto* b = PH_TRY(c.body());
         d::TokenSpec s;
         s.name = PH_TRY(b->str("name"));
         s.domains = PH_TRY(b->opt_str_list("domains")).value_or(std::vector<std::string>{});
         s.verbs = PH_TRY(
             read_verbs(PH_TRY(b->opt_str_list("verbs")).value_or(std::vector<std::string>{})));
         s.read_only = PH_TRY(b->opt_bool("read_only")).value_or(false);
         s.ip_allow = PH_TRY(b->opt_str_list("ip_allow")).value_or(std::vector<std::string>{});
         s.expires_at = PH_TRY(b->opt_int("expires_at"));
         PH_CHECK(b->finish());
         auto nt = PH_TRY(c.dir.create_token(c.actor, s));
         json j = token_json(nt.token, c.dir, c.actor);
         j["secret"] = nt.secret;
         return created(j);
       }},
      {{V::delete_, "/api/v1/tokens/:id", "Revoke one of one's own tokens"},
       [](Ctx& c) -> base::Result<Reply> {
         PH_CHECK(c.dir.revoke_token(c.actor, PH_TRY(int_param(c, "id", "token"))));
         return no_content();
       }},
      // ------------------------------------------------ outbound queue
      {{V::get,
        "/api/v1/queue",
        "Outbound queue entries in scope (by the local domain each is sent for), oldest first",
        true,
        {},
        {"state", "domain", "recipient_domain", "cursor", "limit"}},
       [](Ctx& c) -> base::Result<Reply> {
         d::QueueQuery q;
         q.state = c.query("state");
         q.domain = c.query("domain");
         q.recipient_domain = c.query("recipient_domain");
         q.limit = PH_TRY(page_limit(c));
         q.after_id = PH_TRY(cursor_id(c));
         auto page = PH_TRY(c.dir.list_queue(c.actor, *c.s.queue, q));
         json items = json::array();
         for (const auto& e : page.items) items.push_back(d::to_json(e));
         return ok({{"items", items},
                    {"next_cursor",
                     page.next_after ? json(std::to_string(page.next_after)) : json(nullptr)}});
       }},
      {{V::get, "/api/v1/queue/:id",
        "One queue entry: per-recipient state, attempts, last error, next attempt"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(d::to_json(PH_TRY(c.dir.get_queue_entry(c.actor, *c.s.queue, c.param("id")))));
       }},
      {{V::post, "/api/v1/queue/:id/retry", "Make a queue entry's waiting recipients due now"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(d::to_json(PH_TRY(c.dir.retry_queue_entry(c.actor, *c.s.queue, c.param("id")))));
       }},
      {{V::delete_, "/api/v1/queue/:id", "Delete a queue entry (no bounce is sent)"},
       [](Ctx& c) -> base::Result<Reply> {
         PH_CHECK(c.dir.delete_queue_entry(c.actor, *c.s.queue, c.param("id")));
         return no_content();
       }},
      // ------------------------------------------------ audit
      {{V::get,
        "/api/v1/audit",
        "Audit records in scope, newest first",
        true,
        {},
        {"domain", "cursor", "limit"}},
       [](Ctx& c) -> base::Result<Reply> {
         int limit = PH_TRY(page_limit(c));
         int64_t before = PH_TRY(cursor_id(c));
         std::optional<d::Id> dom;
         if (auto dn = c.query("domain"); !dn.empty())
           dom = PH_TRY(c.dir.get_domain(c.actor, dn)).id;
         json items = json::array();
         json next = nullptr;
         // Filtered by domain in pages, so a narrow filter still fills the page.
         while (static_cast<int>(items.size()) < limit) {
           auto recs = PH_TRY(c.dir.list_audit(c.actor, kMaxPage, before));
           if (recs.empty()) break;
           for (const auto& r : recs) {
             before = r.id;
             if (dom && r.domain_id != dom) continue;
             items.push_back(d::to_json(r));
             if (static_cast<int>(items.size()) == limit) break;
           }
           if (static_cast<int>(recs.size()) < kMaxPage) {
             if (static_cast<int>(items.size()) == limit && before != recs.back().id)
               next = std::to_string(before);
             break;
           }
           if (static_cast<int>(items.size()) == limit) next = std::to_string(before);
         }
         return ok({{"items", items}, {"next_cursor", next}});
       }},
  };
  return t;
}

// ---------------------------------------------------------------- authentication

std::string cookie_value(const Request& req) {
  auto it = req.raw.find(bhttp::field::cookie);
  if (it == req.raw.end()) return {};
  std::string_view all(it->value().data(), it->value().size());
  while (!all.empty()) {
    auto semi = all.find(';');
    auto part = base::trim(all.substr(0, semi));
    if (part.size() > kCookie.size() && part.substr(0, kCookie.size()) == kCookie &&
        part[kCookie.size()] == '=')
      return std::string(part.substr(kCookie.size() + 1));
    if (semi == std::string_view::npos) break;
    all.remove_prefix(semi + 1);
  }
  return {};
}

bool safe_method(bhttp::verb m) { return m == bhttp::verb::get || m == bhttp::verb::head; }

// The actor of a request (bearer token or cookie session), with the CSRF rule for cookies.
base::Result<d::Actor> authenticate(delivery::Services& s, Request& req, const Deps& deps) {
  Error none(Errc::kUnauthenticated, "authentication required");
  auto authz = req.raw.find(bhttp::field::authorization);
  if (authz != req.raw.end()) {
    std::string_view v(authz->value().data(), authz->value().size());
    if (v.size() < 7 || !base::iequals(v.substr(0, 7), "Bearer "))
      return Error(Errc::kUnauthenticated, "use Authorization: Bearer <token>");
    return s.directory->actor_for_token(base::trim(v.substr(7)), req.peer_ip);
  }
  std::string sid = cookie_value(req);
  if (sid.empty()) return none;
  auth::WebSessions sessions(*s.sessions, deps.sessions);
  auto info = sessions.lookup(sid, unix_now());
  if (!info) return none;
  if (!safe_method(req.raw.method())) {
    auto h = req.raw.find("X-CSRF-Token");
    std::string_view got = h == req.raw.end()
                               ? std::string_view()
                               : std::string_view(h->value().data(), h->value().size());
    if (got.size() != info->csrf.size() || !auth::secret_equal(got, info->csrf))
      return Error(Errc::kForbidden, "missing or wrong X-CSRF-Token header", "X-CSRF-Token");
  }
  std::string login;
  if (info->subject.kind == "principal") {
    auto p = s.dir_store->get_principal(info->subject.id);
    if (!p) return none;
    login = p->login;
  } else {
    auto m = s.dir_store->get_mailbox(info->subject.id);
    if (!m) return none;
    login = m->address;
  }
  auto a = s.directory->actor_for(login);
  if (!a || !a->active) return none;
  a->source = "api";
  a->ip = req.peer_ip;
  return a;
}

Response to_response(base::Result<Reply> r) {
  if (!r) {
    Response res = error_response(r.error());
    if (r.error().code == Errc::kUnauthenticated)
      res.set(bhttp::field::www_authenticate, "Bearer realm=\"posthouse\"");
    return res;
  }
  Response res = r->status == bhttp::status::no_content
                     ? make_response(r->status, "", "application/json")
                     : json_response(r->status, r->body);
  for (auto& [k, v] : r->headers) res.insert(k, v);
  res.set(bhttp::field::cache_control, "no-store");
  return res;
}

// A refused 429 with Retry-After for a locked client (login or bearer token guessing).
Response throttled_response(std::chrono::seconds retry_after, std::string_view what) {
  Response res = json_error(bhttp::status::too_many_requests, "throttled",
                            fmt::format("too many failed {}; try again later", what));
  res.set(bhttp::field::retry_after, std::to_string(retry_after.count()));
  return res;
}

bool is_lock(const base::Result<Reply>& r) {
  return !r && r.error().code == Errc::kLimit && r.error().field == "locked";
}

// Bearer tokens are guessable secrets too: a bearer request goes through the same login
// sequence as a password (auth::throttled_login, keyed by the client IP alone), so token
// guessing is as slow as password guessing. Cookie sessions are not throttled here: their ids
// are never guessed by design (256 bits) and a stale cookie is an ordinary event.
Handler wrap(const Deps* deps, Fn fn) {
  return [deps, fn = std::move(fn)](Request& req) -> boost::asio::awaitable<Response> {
    auto handle = [&]() -> boost::asio::awaitable<base::Result<Reply>> {
      co_return co_await deps->pool->run([&]() -> base::Result<Reply> {
        return deps->services->with([&](delivery::Services& s) -> base::Result<Reply> {
          auto actor = PH_TRY(authenticate(s, req, *deps));
          Ctx c{s, *s.directory, std::move(actor), req, *deps, std::nullopt};
          return fn(c);
        });
      });
    };
    const bool bearer = req.raw.find(bhttp::field::authorization) != req.raw.end();
    if (!bearer || !deps->throttle) co_return to_response(co_await handle());
    std::chrono::seconds retry_after{0};
    auto r = co_await auth::throttled_login<Reply>(
        *deps->throttle, co_await boost::asio::this_coro::executor, req.peer_ip, "", handle,
        &retry_after);
    if (is_lock(r)) co_return throttled_response(retry_after, "token uses");
    co_return to_response(std::move(r));
  };
}

// POST /api/v1/session: the shared login sequence (throttle, delay, verify, record; the same
// for unknown and known accounts), then a fresh session (a presented id is destroyed: no
// fixation).
Handler login_handler(const Deps* deps) {
  return [deps](Request& req) -> boost::asio::awaitable<Response> {
    auto body = JsonBody::parse(req.raw.body());
    if (!body) co_return to_response(std::move(body).error());
    auto address = body->str("address");
    if (!address) co_return to_response(std::move(address).error());
    auto password = body->str("password");
    if (!password) co_return to_response(std::move(password).error());
    if (auto st = body->finish(); !st) co_return to_response(st.error());
    std::string old = cookie_value(req);
    auto verify = [&]() -> boost::asio::awaitable<base::Result<Reply>> {
      co_return co_await deps->pool->run([&]() -> base::Result<Reply> {
        return deps->services->with([&](delivery::Services& s) -> base::Result<Reply> {
          auto a = PH_TRY(s.directory->login(*address, *password));
          auth::WebSessions sessions(*s.sessions, deps->sessions);
          if (!old.empty()) (void)sessions.destroy(old);
          auth::SessionSubject subj = a.principal_id
                                          ? auth::SessionSubject{"principal", a.principal_id}
                                          : auth::SessionSubject{"mailbox", a.mailbox_id};
          auto ns = PH_TRY(sessions.create(subj, req.peer_ip, unix_now()));
          Reply rep;
          rep.status = bhttp::status::created;
          rep.body = {{"login", a.login},
                      {"role", d::role_name(a.role)},
                      {"csrf_token", ns.csrf},
                      {"expires_in", deps->sessions.lifetime_seconds},
                      {"idle_timeout", deps->sessions.idle_timeout_seconds}};
          rep.headers.push_back(
              {"Set-Cookie", set_cookie(req, ns.id, deps->sessions.lifetime_seconds)});
          return rep;
        });
      });
    };
    base::Result<Reply> r = Error(Errc::kInternal, "no login throttle");
    std::chrono::seconds retry_after{0};
    if (deps->throttle) {
      r = co_await auth::throttled_login<Reply>(*deps->throttle,
                                                co_await boost::asio::this_coro::executor,
                                                req.peer_ip, *address, verify, &retry_after);
    } else {
      r = co_await verify();
    }
    if (is_lock(r)) co_return throttled_response(retry_after, "logins");
    if (!r && r.error().code == Errc::kUnauthenticated)
      r = Error(Errc::kUnauthenticated, "invalid login or password");
    co_return to_response(std::move(r));
  };
}

// DELETE /api/v1/session: ends the presented session (CSRF-checked like any cookie mutation).
Handler logout_handler(const Deps* deps) {
  return [deps](Request& req) -> boost::asio::awaitable<Response> {
    std::string sid = cookie_value(req);
    auto r = co_await deps->pool->run([&]() -> base::Result<Reply> {
      return deps->services->with([&](delivery::Services& s) -> base::Result<Reply> {
        if (req.raw.find(bhttp::field::authorization) != req.raw.end() || sid.empty())
          return Error(Errc::kUnauthenticated, "no session");
        PH_TRY(authenticate(s, req, *deps));
        PH_CHECK(auth::WebSessions(*s.sessions, deps->sessions).destroy(sid));
        Reply rep = no_content();
        rep.headers.push_back({"Set-Cookie", set_cookie(req, "", 0)});
        return rep;
      });
    });
    co_return to_response(std::move(r));
  };
}

json schema_for(const std::string& type) {
  if (type == "array") return {{"type", "array"}, {"items", {{"type", "string"}}}};
  return {{"type", type}};
}

}  // namespace

const std::vector<RouteDoc>& route_docs() {
  static const std::vector<RouteDoc> docs = [] {
    std::vector<RouteDoc> out;
    for (const auto& e : table()) out.push_back(e.doc);
    return out;
  }();
  return docs;
}

json openapi_document() {
  json paths = json::object();
  for (const auto& r : route_docs()) {
    // ":name" segments become "{name}" in OpenAPI.
    std::string p;
    json params = json::array();
    std::string_view rest(r.path);
    while (!rest.empty()) {
      rest.remove_prefix(1);
      auto slash = rest.find('/');
      auto seg = rest.substr(0, slash);
      if (!seg.empty() && seg[0] == ':') {
        std::string name(seg.substr(1));
        p += "/{" + name + "}";
        params.push_back(
            {{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
      } else {
        p += "/" + std::string(seg);
      }
      if (slash == std::string_view::npos) break;
      rest.remove_prefix(slash);
    }
    for (const auto& q : r.query)
      params.push_back(
          {{"name", q}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}}}});
    std::string method(bhttp::to_string(r.method));
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    json op = {
        {"summary", r.summary},
        {"operationId", method + std::string(r.path)},
        {"parameters", params},
        {"responses",
         {{"2XX", {{"description", "success"}}},
          {"default",
           {{"description", "error"},
            {"content",
             {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}}}}}};
    if (!r.auth) op["security"] = json::array();
    if (!r.body.empty()) {
      json props = json::object();
      for (const auto& [k, t] : r.body) props[k] = schema_for(t);
      op["requestBody"] = {
          {"required", true},
          {"content",
           {{"application/json",
             {{"schema",
               {{"type", "object"}, {"properties", props}, {"additionalProperties", false}}}}}}}};
    }
    paths[p][method] = op;
  }
  return {{"openapi", "3.1.0"},
          {"info", {{"title", "Posthouse admin API"}, {"version", POSTHOUSE_VERSION}}},
          {"servers", json::array({{{"url", "/"}}})},
          {"paths", paths},
          {"security", json::array({{{"bearer", json::array()}}, {{"session", json::array()}}})},
          {"components",
           {{"securitySchemes",
             {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
              {"session", {{"type", "apiKey"}, {"in", "cookie"}, {"name", std::string(kCookie)}}}}},
            {"schemas",
             {{"Error",
               {{"type", "object"},
                {"required", {"error"}},
                {"properties",
                 {{"error",
                   {{"type", "object"},
                    {"properties",
                     {{"code", {{"type", "string"}}},
                      {"message", {{"type", "string"}}},
                      {"field", {{"type", "string"}}}}}}}}}}}}}}}};
}

void add_api_routes(Router& router, const Deps& deps_in) {
  auto deps = std::make_shared<Deps>(deps_in);
  const Deps* dp = deps.get();
  // The Deps live as long as the handlers that hold them.
  auto keep = [deps](Handler h) { return [deps, h = std::move(h)](Request& r) { return h(r); }; };
  auto doc = std::make_shared<std::string>(openapi_document().dump());
  for (const auto& e : table()) {
    const auto& r = e.doc;
    if (r.path == "/api/v1/openapi.json") {
      router.add(r.method, r.path, [doc](Request&) -> boost::asio::awaitable<Response> {
        co_return make_response(bhttp::status::ok, *doc);
      });
    } else if (r.path == "/api/v1/session") {
      router.add(r.method, r.path,
                 keep(r.method == bhttp::verb::post ? login_handler(dp) : logout_handler(dp)));
    } else {
      router.add(r.method, r.path, keep(wrap(dp, e.fn)));
    }
  }
}

}  // namespace posthouse::http::api
