// `posthouse alias ...` and `posthouse forward ...`: where mail goes besides a mailbox.
#include <fmt/format.h>

#include "app/cli_directory_internal.h"

namespace posthouse::app::directory_cli {

using base::Errc;
using base::Error;

void add_alias_commands(CLI::App& app, const Verbs& verbs) {
  auto* noun = app.add_subcommand("alias", "address aliases");
  noun->require_subcommand(1);
  struct Set {
    std::string address;
    std::vector<std::string> targets;
  };
  auto s = std::make_shared<Set>();
  auto* v =
      verbs.add<Set>(noun, "set", "create an alias or replace its targets", s, [](Ctx& x, Set& o) {
        return x.done<d::Alias>(x.svc.set_alias(x.actor, o.address, o.targets),
                                [](auto& a) { return "alias " + a.address + " set"; });
      });
  v->add_option("address", s->address)->required();
  v->add_option("targets", s->targets)->required();
  auto del = std::make_shared<std::string>();
  v = verbs.add<std::string>(noun, "delete", "delete an alias", del, [](Ctx& x, std::string& a) {
    return x.done(x.svc.delete_alias(x.actor, a), "alias " + a + " deleted");
  });
  v->add_option("address", *del)->required();
  auto dom = std::make_shared<std::string>();
  v = verbs.add<std::string>(
      noun, "list", "list a domain's aliases", dom, [](Ctx& x, std::string& dn) {
        return x.list<d::Alias>(x.svc.list_aliases(x.actor, dn), [](auto& a) {
          std::string t;
          for (auto& x : a.targets) t += (t.empty() ? "" : ",") + x;
          return a.address + "\t" + t;
        });
      });
  v->add_option("domain", *dom)->required();
}

void add_forward_commands(CLI::App& app, const Verbs& verbs) {
  auto* fwd = app.add_subcommand("forward", "a mailbox's forwarding");
  fwd->require_subcommand(1);
  struct Fwd {
    std::string address;
    std::vector<std::string> targets;
    bool no_copy = false;
  };
  auto f = std::make_shared<Fwd>();
  auto* v = verbs.add<Fwd>(fwd, "set", "forward a mailbox's mail", f, [](Ctx& x, Fwd& o) {
    return x.done<d::Mailbox>(x.svc.set_forward(x.actor, o.address, o.targets, !o.no_copy),
                              [](auto& m) { return "forwarding set for " + m.address; });
  });
  v->add_option("address", f->address)->required();
  v->add_option("targets", f->targets)->required();
  v->add_flag("--no-keep-copy", f->no_copy, "do not keep a copy in the mailbox");
  auto fc = std::make_shared<std::string>();
  v = verbs.add<std::string>(fwd, "clear", "stop forwarding", fc, [](Ctx& x, std::string& a) {
    return x.done<d::Mailbox>(x.svc.set_forward(x.actor, a, {}, true),
                              [](auto& m) { return "forwarding cleared for " + m.address; });
  });
  v->add_option("address", *fc)->required();
}

}  // namespace posthouse::app::directory_cli
