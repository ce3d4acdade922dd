// `posthouse template ...`: mailbox templates (versioned).
#include <fmt/format.h>

#include "app/cli_directory_internal.h"

namespace posthouse::app::directory_cli {

using base::Errc;
using base::Error;

void add_template_commands(CLI::App& app, const Verbs& verbs) {
  auto* noun = app.add_subcommand("template", "mailbox templates (versioned)");
  noun->require_subcommand(1);
  struct T {
    std::string name, customer;
    TemplateFlags flags;
  };
  auto c = std::make_shared<T>();
  auto* v = verbs.add<T>(noun, "create", "create a template", c, [](Ctx& x, T& o) {
    auto s = o.flags.apply({});
    if (!s.ok()) return x.fail(s.error());
    return x.done<d::Template>(x.svc.create_template(x.actor, o.customer, o.name, *s),
                               [](auto& t) { return "template " + t.name + " created"; });
  });
  v->add_option("name", c->name)->required();
  v->add_option("--customer", c->customer, "owner customer; '-' for platform-wide");
  c->flags.add(v);

  auto e = std::make_shared<T>();
  v = verbs.add<T>(noun, "edit", "change a template (makes a new version)", e, [](Ctx& x, T& o) {
    auto all = x.svc.list_templates(x.actor, o.customer);
    if (!all.ok()) return x.fail(all.error());
    const d::Template* cur = nullptr;
    for (auto& t : *all) {
      bool platform = o.customer == "-" || (o.customer.empty() && x.actor.customer_id == 0);
      if (t.name == o.name && (t.customer_id == 0) == platform) cur = &t;
    }
    if (!cur) return x.fail(Error(Errc::kNotFound, fmt::format("template '{}' not found", o.name)));
    auto s = o.flags.apply(cur->settings);
    if (!s.ok()) return x.fail(s.error());
    return x.done<d::Template>(x.svc.edit_template(x.actor, o.customer, o.name, *s), [](auto& t) {
      return fmt::format("template {} is now version {}", t.name, t.version);
    });
  });
  v->add_option("name", e->name)->required();
  v->add_option("--customer", e->customer, "owner customer; '-' for platform-wide");
  e->flags.add(v);

  auto cu = std::make_shared<std::string>();
  v = verbs.add<std::string>(noun, "list", "list templates", cu, [](Ctx& x, std::string& c) {
    return x.list<d::Template>(x.svc.list_templates(x.actor, c), [](auto& t) {
      return fmt::format("{}\t{}\tv{}\t{}\tquota={}", t.id, t.name, t.version,
                         t.customer_id ? "customer" : "platform", t.settings.quota_bytes);
    });
  });
  v->add_option("--customer", *cu);
}

}  // namespace posthouse::app::directory_cli
