// `posthouse customer ...` and `posthouse platform limits`: customers and the platform
// (platform admin).
#include <fmt/format.h>

#include "app/cli_directory_internal.h"

namespace posthouse::app::directory_cli {

using base::Errc;
using base::Error;

void add_customer_commands(CLI::App& app, const Verbs& verbs) {
  auto* noun = app.add_subcommand("customer", "customers (platform admin)");
  noun->require_subcommand(1);
  struct Create {
    std::string name, login;
    PasswordFlags pw;
    LimitFlags limits;
  };
  auto c = std::make_shared<Create>();
  auto* v = verbs.add<Create>(noun, "create", "create a customer", c, [](Ctx& x, Create& o) {
    auto l = o.limits.apply({});
    if (!l.ok()) return x.fail(l.error());
    return x.done<d::Customer>(x.svc.create_customer(x.actor, {o.name, o.login, o.pw.get(), *l}),
                               [](auto& r) { return fmt::format("customer {} created", r.name); });
  });
  v->add_option("name", c->name)->required();
  v->add_option("--login", c->login, "the customer's login (an e-mail address)");
  c->pw.add(v, "the customer login's password");
  c->limits.add(v, true);

  auto none = std::make_shared<int>();
  verbs.add<int>(noun, "list", "list customers", none, [](Ctx& x, int&) {
    return x.list<d::Customer>(x.svc.list_customers(x.actor), [](auto& c) {
      return fmt::format("{}\t{}\t{}", c.id, c.name, fmt_limits(c.limits));
    });
  });

  auto name = std::make_shared<std::string>();
  v = verbs.add<std::string>(
      noun, "show", "show a customer and its usage", name, [](Ctx& x, std::string& n) {
        auto c = x.svc.get_customer(x.actor, n);
        if (!c.ok()) return x.fail(c.error());
        auto u = x.svc.customer_usage(x.actor, n);
        if (!u.ok()) return x.fail(u.error());
        json j = d::to_json(*c);
        j["usage"] = d::to_json(*u);
        return x.out(j, fmt::format("{} ({})\nlimits: {}\nusage: domains={} "
                                    "mailboxes={} bytes={}",
                                    c->name, c->status, fmt_limits(c->limits), u->domains,
                                    u->mailboxes, u->bytes));
      });
  v->add_option("name", *name)->required();

  auto del = std::make_shared<std::string>();
  v = verbs.add<std::string>(
      noun, "delete", "delete a customer without domains", del, [](Ctx& x, std::string& n) {
        return x.done(x.svc.delete_customer(x.actor, n), "customer " + n + " deleted");
      });
  v->add_option("name", *del)->required();

  verbs.limits<d::Customer>(noun, "set a customer's limits", true, &d::Service::get_customer,
                            &d::Service::set_customer_limits);
  verbs.branding<d::Customer>(noun, "set a customer's white-label settings",
                              &d::Service::get_customer, &d::Service::set_customer_branding);
}

// `platform limits [--max-...]`: shows the platform limits and the server's usage; flags set
// them (flags not given keep their value, "none" removes a limit).
// ------------------------------------------------------------------ platform

// `platform limits [--max-...]`: shows the platform limits and the server's usage; flags set
// them (flags not given keep their value, "none" removes a limit).
void add_platform_commands(CLI::App& app, const Verbs& verbs) {
  auto* noun = app.add_subcommand("platform", "platform-wide settings (platform admin)");
  noun->require_subcommand(1);
  auto l = std::make_shared<LimitFlags>();
  auto* v = verbs.add<LimitFlags>(
      noun, "limits", "show or set the platform limits", l, [](Ctx& x, LimitFlags& o) {
        auto cur = x.svc.get_platform_limits(x.actor);
        if (!cur.ok()) return x.fail(cur.error());
        if (o.any()) {
          auto lim = o.apply(cur->limits);
          if (!lim.ok()) return x.fail(lim.error());
          cur = x.svc.set_platform_limits(x.actor, *lim);
          if (!cur.ok()) return x.fail(cur.error());
        }
        const auto& u = cur->usage;
        return x.out({{"limits", d::to_json(cur->limits)}, {"usage", d::to_json(u)}},
                     fmt::format("limits: {}\nusage: domains={} mailboxes={} bytes={}",
                                 fmt_limits(cur->limits), u.domains, u.mailboxes, u.bytes));
      });
  l->add(v, true);
}

}  // namespace posthouse::app::directory_cli
