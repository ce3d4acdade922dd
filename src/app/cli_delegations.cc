// `posthouse delegation ...`: delegations (e.g. an HR user manager).
#include <fmt/format.h>

#include "app/cli_directory_internal.h"
#include "base/strings.h"

namespace posthouse::app::directory_cli {

using base::Errc;
using base::Error;

void add_delegation_commands(CLI::App& app, const Verbs& verbs) {
  auto* noun = app.add_subcommand("delegation", "delegations (e.g. an HR user manager)");
  noun->require_subcommand(1);
  struct Create {
    std::string grantee, verbs;
    std::vector<std::string> domains, templates;
    int64_t expires = 0, days = 0;
  };
  auto c = std::make_shared<Create>();
  auto* v = verbs.add<Create>(
      noun, "create", "grant verbs on domains to a login", c, [](Ctx& x, Create& o) {
        d::DelegationSpec s{o.grantee, {}, o.domains, o.templates, {}};
        for (auto part : base::split(o.verbs, ',')) {
          auto vb = d::verb_from_name(base::trim(part));
          if (!vb)
            return x.fail(Error(Errc::kInvalid, fmt::format("unknown verb '{}'", part), "verbs"));
          s.verbs.push_back(*vb);
        }
        if (o.expires) s.expires_at = o.expires;
        if (o.days) s.expires_at = x.svc.now() + o.days * 86400;
        return x.done<d::Delegation>(x.svc.create_delegation(x.actor, s), [](auto& dl) {
          return fmt::format("delegation {} created", dl.id);
        });
      });
  v->add_option("grantee", c->grantee, "login or mailbox address")->required();
  v->add_option("--verbs", c->verbs,
                "comma-separated: mailbox.create,mailbox.delete,mailbox.restore,"
                "mailbox.password,mailbox.edit,alias.edit,forward.edit")
      ->required();
  v->add_option("--domain", c->domains, "a domain in scope (repeatable)")->required();
  v->add_option("--template", c->templates, "an allowed template (repeatable)");
  auto* ex = v->add_option("--expires", c->expires, "expiry as Unix time");
  v->add_option("--days", c->days, "expiry in days from now")->excludes(ex);

  auto cu = std::make_shared<std::string>();
  v = verbs.add<std::string>(noun, "list", "list delegations", cu, [](Ctx& x, std::string& c) {
    return x.list<d::Delegation>(x.svc.list_delegations(x.actor, c), [](auto& dl) {
      std::string vs;
      for (auto vb : dl.verbs) vs += (vs.empty() ? "" : ",") + std::string(d::verb_name(vb));
      return fmt::format("{}\t{}\t{}", dl.id, vs,
                         dl.expires_at ? std::to_string(*dl.expires_at) : "no expiry");
    });
  });
  v->add_option("--customer", *cu);

  auto id = std::make_shared<int64_t>();
  v = verbs.add<int64_t>(noun, "delete", "revoke a delegation", id, [](Ctx& x, int64_t& i) {
    return x.done(x.svc.delete_delegation(x.actor, i), fmt::format("delegation {} deleted", i));
  });
  v->add_option("id", *id)->required();
}

}  // namespace posthouse::app::directory_cli
