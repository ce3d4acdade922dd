// /api/v1/me: the acting login (role, scope, its mailbox) and its own password, forward and
// autoresponder.
#include "server/http/api/auth.h"
#include "server/http/api/mailboxes.h"
#include "server/http/api/routes.h"

namespace posthouse::http::api {

namespace {

json id_or_null(d::Id id) { return id ? json(id) : json(nullptr); }

base::Result<Reply> whoami(Ctx& c) {
  const auto& a = c.actor;
  json j = {{"login", a.login},
            {"role", d::role_name(a.role)},
            {"customer_id", id_or_null(a.customer_id)},
            {"domain_id", id_or_null(a.domain_id)},
            {"domain_ids", a.domain_ids},
            {"token_id", or_null(a.token_id)},
            {"delegations", to_items(a.delegations)}};
  if (auto kind = d::manager_kind_name(a); !kind.empty()) j["manager_kind"] = kind;
  if (a.mailbox_id) j["mailbox"] = PH_TRY(mailbox_view(c, a.login));
  return ok(j);
}

// A changed password ends every session of the login, this one too (its cookie is cleared).
base::Result<Reply> set_own_password(Ctx& c) {
  auto pw = PH_TRY(whole_body(c, read_password));
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
}

}  // namespace

std::vector<Entry> me_routes() {
  return {
      {{V::get, "/api/v1/me",
        "Who is acting: role, scope, and for a mailbox its settings, "
        "quota and usage, services, status, last access"},
       whoami},
      {{V::put, "/api/v1/me/password", "Change one's own password", true, password_field()},
       set_own_password},
      {{V::put, "/api/v1/me/forward", "Set one's own forward (if the template allows it)", true,
        forward_fields()},
       [](Ctx& c) -> base::Result<Reply> { return ok(PH_TRY(forward_body(c, c.actor.login))); }},
      {{V::get, "/api/v1/me/autoresponder", "One's own autoresponder"},
       [](Ctx& c) -> base::Result<Reply> {
         return ok(autoresponder_json(PH_TRY(c.dir.get_autoresponder(c.actor, c.actor.login))));
       }},
      {{V::put, "/api/v1/me/autoresponder", "Set one's own autoresponder", true,
        autoresponder_fields()},
       [](Ctx& c) -> base::Result<Reply> {
         auto r = PH_TRY(whole_body(c, read_autoresponder));
         return ok(autoresponder_json(PH_TRY(c.dir.set_autoresponder(c.actor, c.actor.login, r))));
       }},
  };
}

}  // namespace posthouse::http::api
