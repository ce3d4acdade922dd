#include "server/http/api/common.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace posthouse::http::api {

namespace {

// The whole of s as a decimal number, or nullopt.
template <class T>
std::optional<T> parse_number(std::string_view s) {
  T n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return n;
}

}  // namespace

Fields operator+(Fields a, const Fields& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Reply ok(json body, bhttp::status st) { return Reply{st, std::move(body), {}}; }
Reply created(json body) { return ok(std::move(body), bhttp::status::created); }
Reply no_content() { return Reply{bhttp::status::no_content, nullptr, {}}; }

std::string id_ref(d::Id id) { return "#" + std::to_string(id); }

base::Result<int64_t> int_param(const Ctx& c, const char* name, std::string_view what) {
  auto n = parse_number<int64_t>(c.param(name));
  if (!n) return Error(Errc::kNotFound, fmt::format("{} not found", what));
  return *n;
}

// ---------------------------------------------------------------- pagination

base::Result<int> page_limit(const Ctx& c) {
  auto v = c.query("limit");
  if (v.empty()) return kDefaultPage;
  auto n = parse_number<int>(v);
  if (!n || *n < 1 || *n > kMaxPage)
    return Error(Errc::kInvalid, fmt::format("limit must be an integer from 1 to {}", kMaxPage),
                 "limit");
  return *n;
}

base::Result<int64_t> cursor_id(const Ctx& c) {
  auto v = c.query("cursor");
  if (v.empty()) return int64_t{0};
  auto n = parse_number<int64_t>(v);
  if (!n || *n < 1) return Error(Errc::kInvalid, "cursor is not valid", "cursor");
  return *n;
}

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

std::vector<json> with_status(const Ctx& c, std::vector<json> items) {
  if (auto st = c.query("status"); !st.empty())
    std::erase_if(items, [&](const json& j) { return j["status"] != st; });
  return items;
}

base::Result<std::vector<std::string>> domain_refs(Ctx& c) {
  std::vector<std::string> refs;
  if (auto dom = c.query("domain"); !dom.empty()) {
    refs.push_back(dom);
  } else {
    for (const auto& dm : PH_TRY(c.dir.list_domains(c.actor, ""))) refs.push_back(id_ref(dm.id));
  }
  return refs;
}

base::Result<std::vector<json>> per_domain(Ctx& c, const DomainLister& list) {
  const bool named = !c.query("domain").empty();
  std::vector<json> items;
  for (const auto& ref : PH_TRY(domain_refs(c))) {
    auto some = list(ref);
    if (!some.ok()) {
      if (named) return std::move(some).error();
      continue;  // a domain visible without the right to list this in it
    }
    for (auto& j : *some) items.push_back(std::move(j));
  }
  return items;
}

Fn status_call(base::Status (d::Service::*f)(const d::Actor&, std::string_view),
               const char* param) {
  return [f, param](Ctx& c) -> base::Result<Reply> {
    PH_CHECK((c.dir.*f)(c.actor, c.param(param)));
    return no_content();
  };
}

Fn id_call(base::Status (d::Service::*f)(const d::Actor&, d::Id), const char* param,
           const char* what) {
  return [f, param, what](Ctx& c) -> base::Result<Reply> {
    PH_CHECK((c.dir.*f)(c.actor, PH_TRY(int_param(c, param, what))));
    return no_content();
  };
}

// ---------------------------------------------------------------- bodies

const Fields& limit_fields() {
  static const Fields f = {{"max_domains", "integer"},
                           {"max_mailboxes", "integer"},
                           {"max_mailbox_bytes", "integer"},
                           {"max_total_bytes", "integer"}};
  return f;
}

const Fields& branding_fields() {
  static const Fields f = {{"sender_name", "string"},  {"sender_address", "string"},
                           {"product_name", "string"}, {"logo_url", "string"},
                           {"welcome_text", "string"}, {"reset_text", "string"}};
  return f;
}

const Fields& password_field() {
  static const Fields f = {{"password", "string"}};
  return f;
}

base::Result<d::Limits> read_limits(JsonBody& b) {
  d::Limits l;
  l.max_domains = PH_TRY(b.opt_int("max_domains"));
  l.max_mailboxes = PH_TRY(b.opt_int("max_mailboxes"));
  l.max_mailbox_bytes = PH_TRY(b.opt_int("max_mailbox_bytes"));
  l.max_total_bytes = PH_TRY(b.opt_int("max_total_bytes"));
  return l;
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

base::Result<std::string> read_password(JsonBody& b) { return b.str("password"); }

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

base::Result<std::vector<std::string>> str_list(JsonBody& b, const char* key) {
  return PH_TRY(b.opt_str_list(key)).value_or(std::vector<std::string>{});
}

base::Result<std::vector<std::string>> required_str_list(JsonBody& b, const char* key) {
  auto v = PH_TRY(b.opt_str_list(key));
  if (!v) return Error(Errc::kInvalid, fmt::format("{} is required", key), key);
  return *v;
}

}  // namespace posthouse::http::api
