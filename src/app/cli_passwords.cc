// `posthouse password set|check|bootstrap-admin`: passwords of logins and mailboxes.
#include <fmt/format.h>

#include "app/cli_directory_internal.h"
#include "base/ids.h"

namespace posthouse::app::directory_cli {

using base::Errc;
using base::Error;

void add_password_commands(CLI::App& app, const Verbs& verbs) {
  auto* noun = app.add_subcommand("password", "passwords of logins and mailboxes");
  noun->require_subcommand(1);
  struct Set {
    std::string login;
    PasswordFlags pw;
  };
  auto s = std::make_shared<Set>();
  auto* v =
      verbs.add<Set>(noun, "set", "set the password of a login or mailbox", s, [](Ctx& x, Set& o) {
        auto pw = o.pw.get();
        if (!pw) return x.fail(Error(Errc::kInvalid, "give --password or --password-stdin"));
        auto a = x.svc.actor_for(o.login);
        if (!a.ok()) return x.fail(a.error());
        auto st = a->mailbox_id ? x.svc.set_mailbox_password(x.actor, o.login, *pw)
                                : x.svc.set_principal_password(x.actor, o.login, *pw);
        return x.done(st, "password set");
      });
  v->add_option("login", s->login)->required();
  s->pw.add(v, "the new password");

  auto c = std::make_shared<Set>();
  v = verbs.add<Set>(noun, "check", "check a password (exit 0 when it is right)", c,
                     [](Ctx& x, Set& o) {
                       auto pw = o.pw.get();
                       auto r = x.svc.login(o.login, pw.value_or(""));
                       if (!r.ok()) return x.fail(r.error());
                       return x.out({{"ok", true}, {"role", d::role_name(r->role)}},
                                    fmt::format("ok ({})", d::role_name(r->role)));
                     });
  v->add_option("login", c->login)->required();
  c->pw.add(v, "the password to check");

  // Hidden: what `posthouse init` does, for tests and recovery. Without a password one is
  // generated and printed once.
  auto b = std::make_shared<Set>();
  v = verbs.add<Set>(noun, "bootstrap-admin", "", b, [](Ctx& x, Set& o) {
    auto given = o.pw.get();
    std::string pw = given ? *given : base::random_password();
    auto st = x.svc.bootstrap_admin(x.actor, o.login, pw);
    if (!st.ok()) return x.fail(st.error());
    json j = {{"login", o.login}};
    if (!given) j["password"] = pw;
    return x.out(j, given ? "admin " + o.login + " created"
                          : "admin " + o.login + " created, password: " + pw);
  });
  v->group("");
  v->add_option("login", b->login)->required();
  b->pw.add(v, "password");
}

}  // namespace posthouse::app::directory_cli
