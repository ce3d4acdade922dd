// Spam settings and the quarantine: a domain's spam policy, a mailbox's own spam settings,
// held mail (list, show, release, delete) and the notices' one-click release links.
#include <cmath>

#include "server/http/api/auth.h"
#include "server/http/api/routes.h"

namespace posthouse::http::api {

namespace {

constexpr std::size_t kMaxShownBytes = 256 * 1024;  // of a held message shown in the panel

// A score field: absent keeps `out`, null clears it, a number sets it.
base::Status score_field(JsonBody& b, const char* key, std::optional<double>& out) {
  auto v = PH_TRY(b.opt_json(key));
  if (!v) {
    if (b.is_null(key)) out.reset();
    return {};
  }
  if (v->is_number()) {
    out = v->get<double>();
  } else {
    return Error(Errc::kInvalid, std::string(key) + " must be a number or null", key);
  }
  return {};
}

// Fields left out keep their value.
base::Result<Reply> set_spam_policy(Ctx& c) {
  auto* b = PH_TRY(c.body());
  d::SpamPolicy p = PH_TRY(c.dir.get_domain(c.actor, c.param("domain"))).spam;
  if (auto v = PH_TRY(b->opt_bool("dmarc_enforce"))) p.dmarc_enforce = *v;
  if (auto v = PH_TRY(b->opt_bool("greylist"))) p.greylist = *v;
  if (auto v = PH_TRY(b->opt_str_list("block"))) p.block = std::move(*v);
  if (auto v = PH_TRY(b->opt_str_list("allow"))) p.allow = std::move(*v);
  if (auto v = PH_TRY(b->opt_str("virus_action"))) p.virus_action = std::move(*v);
  PH_CHECK(score_field(*b, "reject_score", p.reject_score));
  PH_CHECK(score_field(*b, "quarantine_score", p.quarantine_score));
  PH_CHECK(score_field(*b, "junk_score", p.junk_score));
  PH_CHECK(b->finish());
  auto dom = PH_TRY(c.dir.set_spam_policy(c.actor, c.param("domain"), std::move(p)));
  return ok(d::to_json(dom.spam));
}

base::Result<Reply> set_user_spam(Ctx& c) {
  auto* b = PH_TRY(c.body());
  d::UserSpamSettings u = PH_TRY(c.dir.get_user_spam(c.actor, c.param("mailbox")));
  if (auto v = PH_TRY(b->opt_str_list("block"))) u.block = std::move(*v);
  if (auto v = PH_TRY(b->opt_str_list("allow"))) u.allow = std::move(*v);
  PH_CHECK(score_field(*b, "reject_score", u.reject_score));
  PH_CHECK(score_field(*b, "quarantine_score", u.quarantine_score));
  PH_CHECK(score_field(*b, "junk_score", u.junk_score));
  PH_CHECK(b->finish());
  return ok(d::to_json(PH_TRY(c.dir.set_user_spam(c.actor, c.param("mailbox"), std::move(u)))));
}

// Text from a message as valid UTF-8 (invalid sequences replaced).
std::string as_utf8(const std::string& s) {
  return json::parse(json(s).dump(-1, ' ', false, json::error_handler_t::replace))
      .get<std::string>();
}

json held_json(const store::HeldMessage& m) {
  return {{"id", m.id},
          {"mailbox", as_utf8(m.recipient)},
          {"sender", as_utf8(m.sender)},
          {"from", as_utf8(m.from)},
          {"subject", as_utf8(m.subject)},
          {"reason", as_utf8(m.reason)},
          {"score", m.score},
          {"size", m.size},
          {"held_at", m.held_at},
          {"expires_at", m.expires_at}};
}

base::Result<delivery::Quarantine*> quarantine(const Ctx& c) {
  if (!c.deps.quarantine) return Error(Errc::kNotFound, "no quarantine on this server");
  return c.deps.quarantine;
}

base::Result<int64_t> held_id(const Ctx& c) { return int_param(c, "id", "held message"); }

base::Result<Reply> list_held(Ctx& c) {
  auto* q = PH_TRY(quarantine(c));
  int limit = PH_TRY(page_limit(c));
  int64_t before = PH_TRY(cursor_id(c));
  auto items = PH_TRY(q->list(c.actor, c.query("mailbox"), c.query("domain"), before, limit));
  json out = json::array();
  for (const auto& m : items) out.push_back(held_json(m));
  json next = static_cast<int>(items.size()) == limit && !items.empty()
                  ? json(std::to_string(items.back().id))
                  : json(nullptr);
  return ok({{"items", out}, {"next_cursor", next}});
}

base::Result<Reply> show_held(Ctx& c) {
  auto* q = PH_TRY(quarantine(c));
  int64_t id = PH_TRY(held_id(c));
  json j = held_json(PH_TRY(q->get(c.actor, id)));
  std::string raw = PH_TRY(q->body(c.actor, id));
  j["truncated"] = raw.size() > kMaxShownBytes;
  if (raw.size() > kMaxShownBytes) raw.resize(kMaxShownBytes);
  j["message"] = as_utf8(raw);  // text for reading, never HTML
  return ok(j);
}

// The link routes answer without a login: the token in the path is the credential.
Handler link_handler(const Deps* deps, bool release) {
  return [deps, release](Request& req) -> boost::asio::awaitable<Response> {
    std::string token = req.params.count("token") ? req.params.at("token") : std::string();
    auto r = co_await deps->pool->run([&]() -> base::Result<Reply> {
      if (!deps->quarantine) return Error(Errc::kNotFound, "held message not found");
      auto m = release ? deps->quarantine->release_by_token(token)
                       : deps->quarantine->by_token(token);
      if (!m) return std::move(m).error();
      json j = held_json(*m);
      j.erase("id");
      j["released"] = release;
      return ok(j);
    });
    co_return to_response(std::move(r));
  };
}

Handler link_show(const Deps* deps) { return link_handler(deps, false); }
Handler link_release(const Deps* deps) { return link_handler(deps, true); }

}  // namespace

std::vector<Entry> spam_routes() {
  return {
      {{V::get, "/api/v1/domains/:domain/spam-policy", "A domain's spam policy"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(d::to_json(PH_TRY(c.dir.get_domain(c.actor, c.param("domain"))).spam));
       }},
      {{V::put,
        "/api/v1/domains/:domain/spam-policy",
        "Set a domain's spam policy (fields left out keep their value; null clears a score)",
        true,
        {{"dmarc_enforce", "boolean"},
         {"greylist", "boolean"},
         {"block", "array"},
         {"allow", "array"},
         {"reject_score", "number"},
         {"quarantine_score", "number"},
         {"junk_score", "number"},
         {"virus_action", "string"}}},
       set_spam_policy},
      {{V::get, "/api/v1/mailboxes/:mailbox/spam-settings", "A mailbox's own spam settings"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(d::to_json(PH_TRY(c.dir.get_user_spam(c.actor, c.param("mailbox")))));
       }},
      {{V::put,
        "/api/v1/mailboxes/:mailbox/spam-settings",
        "Set a mailbox's own spam settings (thresholds only tighten the domain's; fields left "
        "out keep their value; null clears a score)",
        true,
        {{"block", "array"},
         {"allow", "array"},
         {"reject_score", "number"},
         {"quarantine_score", "number"},
         {"junk_score", "number"}}},
       set_user_spam},
      {{V::get,
        "/api/v1/quarantine",
        "Held mail of a mailbox (?mailbox=) or of a domain (?domain=), newest first",
        true,
        {},
        {"mailbox", "domain", "cursor", "limit"}},
       list_held},
      {{V::get, "/api/v1/quarantine/:id", "One held message, with its text (at most 256 KiB)"},
       show_held},
      {{V::post, "/api/v1/quarantine/:id/release", "Release a held message into its INBOX"},
       [](Ctx& c) -> base::Result<Reply> {
         auto* q = PH_TRY(quarantine(c));
         PH_CHECK(q->release(c.actor, PH_TRY(held_id(c))));
         return no_content();
       }},
      {{V::delete_, "/api/v1/quarantine/:id", "Delete a held message"},
       [](Ctx& c) -> base::Result<Reply> {
         auto* q = PH_TRY(quarantine(c));
         PH_CHECK(q->remove(c.actor, PH_TRY(held_id(c))));
         return no_content();
       }},
      {{V::get, "/api/v1/quarantine-links/:token",
        "What a notice's release link releases (no login: the link is the credential)", false,
        {}, {}},
       nullptr,
       link_show},
      {{V::post, "/api/v1/quarantine-links/:token/release",
        "Release the held message of a notice's link into its INBOX (no login)", false, {}, {}},
       nullptr,
       link_release},
  };
}

}  // namespace posthouse::http::api
