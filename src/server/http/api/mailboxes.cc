// /api/v1/mailboxes: mailboxes, their passwords, forwards, autoresponders, moves, restorable
// delete and purge.
#include "server/http/api/mailboxes.h"

#include "server/http/api/auth.h"
#include "server/http/api/routes.h"

namespace posthouse::http::api {

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

base::Result<json> forward_body(Ctx& c, const std::string& ref) {
  auto* b = PH_TRY(c.body());
  auto targets = PH_TRY(required_str_list(*b, "targets"));
  bool keep = PH_TRY(b->opt_bool("keep_copy")).value_or(true);
  PH_CHECK(b->finish());
  return d::to_json(PH_TRY(c.dir.set_forward(c.actor, ref, targets, keep)));
}

const Fields& forward_fields() {
  static const Fields f = {{"targets", "array"}, {"keep_copy", "boolean"}};
  return f;
}

json autoresponder_json(const d::Autoresponder& r) {
  return {{"enabled", r.enabled},
          {"subject", r.subject},
          {"body", r.body},
          {"start", or_null(r.start)},
          {"end", or_null(r.end)}};
}

base::Result<d::Autoresponder> read_autoresponder(JsonBody& b) {
  d::Autoresponder r;
  auto en = PH_TRY(b.opt_bool("enabled"));
  if (!en) return Error(Errc::kInvalid, "enabled is required", "enabled");
  r.enabled = *en;
  r.subject = PH_TRY(b.opt_str("subject")).value_or("");
  r.body = PH_TRY(b.opt_str("body")).value_or("");
  r.start = PH_TRY(b.opt_int("start"));
  r.end = PH_TRY(b.opt_int("end"));
  return r;
}

const Fields& autoresponder_fields() {
  static const Fields f = {{"enabled", "boolean"},
                           {"subject", "string"},
                           {"body", "string"},
                           {"start", "integer"},
                           {"end", "integer"}};
  return f;
}

namespace {

base::Result<Reply> list_mailboxes(Ctx& c) {
  auto items = PH_TRY(per_domain(c, [&](const std::string& ref) -> base::Result<std::vector<json>> {
    return to_items(PH_TRY(c.dir.list_mailboxes(c.actor, ref)));
  }));
  return paged(c, with_status(c, std::move(items)));
}

base::Result<Reply> create_mailbox(Ctx& c) {
  auto* b = PH_TRY(c.body());
  d::MailboxSpec s;
  s.address = PH_TRY(b->str("address"));
  s.display_name = PH_TRY(b->opt_str("display_name")).value_or("");
  s.template_name = PH_TRY(b->str("template"));
  s.password = PH_TRY(b->opt_str("password"));
  s.quota_bytes = PH_TRY(b->opt_int("quota_bytes"));
  PH_CHECK(b->finish());
  return created(d::to_json(PH_TRY(c.dir.create_mailbox(c.actor, s))));
}

base::Result<Reply> edit_mailbox(Ctx& c) {
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
}

base::Result<Reply> set_password(Ctx& c) {
  auto pw = PH_TRY(whole_body(c, read_password));
  PH_CHECK(c.dir.set_mailbox_password(c.actor, c.param("address"), pw));
  auto m = PH_TRY(c.dir.get_mailbox(c.actor, c.param("address")));
  PH_CHECK(end_sessions(c, "mailbox", m.id));
  return no_content();
}

base::Result<Reply> move_mailbox(Ctx& c) {
  auto* b = PH_TRY(c.body());
  auto to = PH_TRY(b->str("address"));
  PH_CHECK(b->finish());
  return ok(d::to_json(PH_TRY(c.dir.move_mailbox(c.actor, c.param("address"), to))));
}

}  // namespace

std::vector<Entry> mailbox_routes() {
  return {
      {{V::get,
        "/api/v1/mailboxes",
        "Mailboxes in scope",
        true,
        {},
        {"domain", "status", "cursor", "limit"}},
       list_mailboxes},
      {{V::post,
        "/api/v1/mailboxes",
        "Create a mailbox from a template",
        true,
        {{"address", "string"},
         {"display_name", "string"},
         {"template", "string"},
         {"password", "string"},
         {"quota_bytes", "integer"}}},
       create_mailbox},
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
       edit_mailbox},
      {{V::put, "/api/v1/mailboxes/:address/password", "Set a mailbox's password", true,
        password_field()},
       set_password},
      {{V::post,
        "/api/v1/mailboxes/:address/move",
        "Rename or move a mailbox to another domain",
        true,
        {{"address", "string"}}},
       move_mailbox},
      {{V::put, "/api/v1/mailboxes/:address/forward", "Set (or clear with []) a forward", true,
        forward_fields()},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(PH_TRY(forward_body(c, c.param("address"))));
       }},
      {{V::get, "/api/v1/mailboxes/:address/autoresponder", "A mailbox's autoresponder"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(
             autoresponder_json(PH_TRY(c.dir.get_autoresponder(c.actor, c.param("address")))));
       }},
      {{V::put, "/api/v1/mailboxes/:address/autoresponder", "Set a mailbox's autoresponder", true,
        autoresponder_fields()},
       [](Ctx& c) -> base::Result<Reply> {
         auto r = PH_TRY(whole_body(c, read_autoresponder));
         return ok(
             autoresponder_json(PH_TRY(c.dir.set_autoresponder(c.actor, c.param("address"), r))));
       }},
      {{V::delete_, "/api/v1/mailboxes/:address", "Delete a mailbox (restorable)"},
       status_call(&d::Service::delete_mailbox, "address")},
      {{V::post, "/api/v1/mailboxes/:address/restore", "Restore a deleted mailbox"},
       restore_call(&d::Service::restore_mailbox, &d::Service::get_mailbox, "address")},
      {{V::post, "/api/v1/mailboxes/:address/purge", "Purge a deleted mailbox for good"},
       status_call(&d::Service::purge_mailbox, "address")},
  };
}

}  // namespace posthouse::http::api
