// `posthouse manager ...`: a customer's managers.
#include <fmt/format.h>

#include "app/cli_directory_internal.h"

namespace posthouse::app::directory_cli {

using base::Errc;
using base::Error;

void add_manager_commands(CLI::App& app, const Verbs& verbs) {
  auto* noun = app.add_subcommand("manager", "a customer's managers");
  noun->require_subcommand(1);
  struct Create {
    std::string login, customer, name;
    bool full = false;
    std::vector<std::string> domains;
    PasswordFlags pw;
    LimitFlags limits;
  };
  auto c = std::make_shared<Create>();
  auto* v = verbs.add<Create>(noun, "create", "create a manager", c, [](Ctx& x, Create& o) {
    auto l = o.limits.apply({});
    if (!l.ok()) return x.fail(l.error());
    d::ManagerSpec s{
        o.customer, o.login, o.name,    o.full ? d::ManagerKind::kFull : d::ManagerKind::kScoped,
        o.domains,  *l,      o.pw.get()};
    return x.done<d::Principal>(x.svc.create_manager(x.actor, s),
                                [](auto& p) { return fmt::format("manager {} created", p.login); });
  });
  v->add_option("login", c->login, "login e-mail address")->required();
  v->add_option("--customer", c->customer);
  v->add_option("--name", c->name, "display name");
  v->add_flag("--full", c->full, "full customer autonomy instead of a list of domains");
  v->add_option("--domain", c->domains, "a managed domain (repeatable)");
  c->pw.add(v, "the manager's password");
  c->limits.add(v, true);

  auto cust = std::make_shared<std::string>();
  v = verbs.add<std::string>(noun, "list", "list managers", cust, [](Ctx& x, std::string& cu) {
    return x.list<d::Principal>(x.svc.list_managers(x.actor, cu), [](auto& p) {
      return fmt::format("{}\t{}\t{}\tdomains={}", p.id, p.login,
                         p.manager_kind == d::ManagerKind::kFull ? "full" : "scoped",
                         p.domain_ids.size());
    });
  });
  v->add_option("--customer", *cust);

  struct Doms {
    std::string login;
    std::vector<std::string> domains;
  };
  auto ds = std::make_shared<Doms>();
  v = verbs.add<Doms>(noun, "domains", "set a manager's domains", ds, [](Ctx& x, Doms& o) {
    return x.done<d::Principal>(x.svc.set_manager_domains(x.actor, o.login, o.domains),
                                [](auto& p) { return "domains updated for " + p.login; });
  });
  v->add_option("login", ds->login)->required();
  v->add_option("domains", ds->domains);

  verbs.limits<d::Principal>(noun, "set a manager's limits", true, &d::Service::get_manager,
                             &d::Service::set_manager_limits);
  verbs.branding<d::Principal>(noun, "set a manager's white-label settings",
                               &d::Service::get_manager, &d::Service::set_manager_branding);

  auto del = std::make_shared<std::string>();
  v = verbs.add<std::string>(noun, "delete", "delete a manager", del, [](Ctx& x, std::string& lg) {
    return x.done(x.svc.delete_manager(x.actor, lg), "manager " + lg + " deleted");
  });
  v->add_option("login", *del)->required();
}

}  // namespace posthouse::app::directory_cli
