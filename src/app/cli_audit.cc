// `posthouse audit list`: the audit log of the actor's scope.
#include <fmt/format.h>

#include "app/cli_directory_internal.h"

namespace posthouse::app::directory_cli {

using base::Errc;
using base::Error;

void add_audit_commands(CLI::App& app, const Verbs& verbs) {
  auto* noun = app.add_subcommand("audit", "the audit log (of the actor's scope)");
  noun->require_subcommand(1);
  struct L {
    int limit = 50;
    int64_t before = 0;
  };
  auto l = std::make_shared<L>();
  auto* v = verbs.add<L>(noun, "list", "newest records first", l, [](Ctx& x, L& o) {
    return x.list<d::AuditRecord>(x.svc.list_audit(x.actor, o.limit, o.before), [](auto& r) {
      return fmt::format("{}\t{}\t{}\t{}\t{}\t{}", r.id, r.at, r.actor, r.source, r.verb, r.target);
    });
  });
  v->add_option("--limit", l->limit);
  v->add_option("--before", l->before, "only records with a smaller id (paging)");
}

}  // namespace posthouse::app::directory_cli
