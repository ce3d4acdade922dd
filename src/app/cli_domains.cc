// `posthouse domain ...`: domains, their limits, DNS records, aliases, catch-all and
// postmaster password; delete, restore, purge.
#include "base/clock.h"
#include <fmt/format.h>

#include <ctime>
#include <tuple>

#include "app/cli_directory_internal.h"
#include "queue/dkim.h"
#include "queue/dns_records.h"
#include "store/sqlite/dkim_key_store.h"

namespace posthouse::app::directory_cli {

using base::Errc;
using base::Error;

namespace {

// create, list, show, dns
void add_domain_read_verbs(CLI::App* noun, const Verbs& verbs) {
  struct Create {
    std::string name, customer, manager;
    PasswordFlags pw;
    LimitFlags limits;
  };
  auto c = std::make_shared<Create>();
  auto* v = verbs.add<Create>(
      noun, "create", "add a domain (creates postmaster@domain)", c, [](Ctx& x, Create& o) {
        auto l = o.limits.apply({});
        if (!l.ok()) return x.fail(l.error());
        d::DomainSpec s{o.customer, o.name, o.pw.get(), *l, o.manager};
        auto created = x.svc.create_domain(x.actor, s);
        if (created.ok()) {
          store::sqlite::SqliteDkimKeyStore keys(x.db);
          queue::create_domain_keys(keys, created->name, x.dkim_selector);
        }
        return x.done<d::Domain>(created, [](auto& r) {
          return fmt::format("domain {} created (postmaster@{})", r.name, r.name);
        });
      });
  v->add_option("name", c->name)->required();
  v->add_option("--customer", c->customer);
  v->add_option("--manager", c->manager, "assign the domain to this manager");
  c->pw.add(v, "postmaster password (absent: postmaster disabled until set)");
  c->limits.add(v, false);

  auto cust = std::make_shared<std::string>();
  v = verbs.add<std::string>(noun, "list", "list domains", cust, [](Ctx& x, std::string& cu) {
    return x.list<d::Domain>(x.svc.list_domains(x.actor, cu), [](auto& dm) {
      return fmt::format("{}\t{}\t{}", dm.id, dm.name, dm.status);
    });
  });
  v->add_option("--customer", *cust);

  auto name = std::make_shared<std::string>();
  v = verbs.add<std::string>(
      noun, "show", "show a domain, its usage and aliases", name, [](Ctx& x, std::string& n) {
        auto dm = x.svc.get_domain(x.actor, n);
        if (!dm.ok()) return x.fail(dm.error());
        auto u = x.svc.domain_usage(x.actor, n);
        if (!u.ok()) return x.fail(u.error());
        auto al = x.svc.list_domain_aliases(x.actor, n);
        if (!al.ok()) return x.fail(al.error());
        json j = d::to_json(*dm);
        j["usage"] = d::to_json(*u);
        j["aliases"] = json::array();
        std::string names;
        for (auto& a : *al) {
          j["aliases"].push_back(a.name);
          names += " " + a.name;
        }
        return x.out(j, fmt::format("{} ({})\nlimits: {}\nusage: mailboxes={} "
                                    "bytes={}\ncatch-all: {}\naliases:{}",
                                    dm->name, dm->status, fmt_limits(dm->limits), u->mailboxes,
                                    u->bytes, dm->catchall.value_or("-"), names));
      });
  v->add_option("name", *name)->required();

  auto dns_name = std::make_shared<std::string>();
  v = verbs.add<std::string>(
      noun, "dns", "print the DNS records the domain needs (zone file lines)", dns_name,
      [](Ctx& x, std::string& n) {
        auto dm = x.svc.get_domain(x.actor, n);
        if (!dm.ok()) return x.fail(dm.error());
        store::sqlite::SqliteDkimKeyStore key_store(x.db);
        auto keys =
            queue::DkimKeys(key_store).ensure(dm->name, x.dkim_selector, base::unix_now());
        if (!keys.ok()) return x.fail(keys.error());
        json j = json::array();
        std::string text;
        for (const auto& r : queue::domain_dns_records(dm->name, x.hostname, *keys)) {
          j.push_back({{"name", r.name}, {"type", r.type}, {"value", r.value}});
          if (!text.empty()) text += "\n";
          text += r.zone_line();
        }
        return x.out(j, text);
      });
  v->add_option("name", *dns_name)->required();
}

// catchall, spam-policy, add-alias, remove-alias, postmaster-password
void add_domain_name_verbs(CLI::App* noun, const Verbs& verbs) {
  struct Catch {
    std::string name, target;
    bool none = false;
  };
  auto ca = std::make_shared<Catch>();
  auto* v = verbs.add<Catch>(
      noun, "catchall", "set (or --none: remove) the catch-all address", ca, [](Ctx& x, Catch& o) {
        if (o.none == !o.target.empty())
          return x.fail(Error(Errc::kInvalid, "give an address or --none"));
        std::optional<std::string> t;
        if (!o.none) t = o.target;
        return x.done<d::Domain>(x.svc.set_catchall(x.actor, o.name, t),
                                 [](auto& r) { return "catch-all: " + r.catchall.value_or("-"); });
      });
  v->add_option("name", ca->name)->required();
  v->add_option("address", ca->target);
  v->add_flag("--none", ca->none);

  struct Spam {
    std::string name, enforce, greylist, virus;
    std::vector<std::string> block, allow;
    bool no_block = false, no_allow = false;
    ScoreFlags scores;
  };
  auto sp = std::make_shared<Spam>();
  v = verbs.add<Spam>(
      noun, "spam-policy",
      "show or set a domain's spam policy (DMARC enforcement, greylisting, score thresholds, "
      "virus action, blocked and allowed senders)",
      sp, [](Ctx& x, Spam& o) {
        auto dom = x.svc.get_domain(x.actor, o.name);
        if (!dom) return x.fail(dom.error());
        d::SpamPolicy p = dom->spam;
        bool change = !o.enforce.empty() || !o.greylist.empty() || !o.block.empty() ||
                      o.no_block || !o.allow.empty() || o.no_allow || !o.virus.empty() ||
                      o.scores.given();
        for (auto [value, flag, field] :
             {std::tuple{&o.enforce, "--dmarc-enforce", &p.dmarc_enforce},
              std::tuple{&o.greylist, "--greylist", &p.greylist}}) {
          if (value->empty()) continue;
          if (*value != "on" && *value != "off")
            return x.fail(Error(Errc::kInvalid, fmt::format("{} takes on or off", flag)));
          *field = *value == "on";
        }
        if (o.no_block) p.block.clear();
        for (const auto& b : o.block) p.block.push_back(b);
        if (o.no_allow) p.allow.clear();
        for (const auto& b : o.allow) p.allow.push_back(b);
        if (!o.virus.empty()) p.virus_action = o.virus == "default" ? "" : o.virus;
        if (auto st = o.scores.apply(p.reject_score, p.quarantine_score, p.junk_score); !st)
          return x.fail(st.error());
        auto shown = [](const d::Domain& r) {
          const auto& s = r.spam;
          return fmt::format(
              "dmarc enforcement: {}\ngreylisting: {}\nthresholds: {}\nvirus action: {}\n"
              "blocked senders: {}\nallowed senders: {}",
              s.dmarc_enforce ? "on" : "off", s.greylist ? "on" : "off",
              ScoreFlags::shown(s.reject_score, s.quarantine_score, s.junk_score),
              s.virus_action.empty() ? "the server's" : s.virus_action, joined(s.block),
              joined(s.allow));
        };
        if (!change) return x.done<d::Domain>(std::move(dom), shown);
        return x.done<d::Domain>(x.svc.set_spam_policy(x.actor, o.name, std::move(p)), shown);
      });
  v->add_option("name", sp->name)->required();
  v->add_option("--dmarc-enforce", sp->enforce, "on: refuse/Junk mail that fails DMARC as its domain asks");
  v->add_option("--greylist", sp->greylist,
                "on: defer the first message of an unknown sender until it is sent again");
  v->add_option("--block", sp->block, "add a blocked sender (address or domain)");
  v->add_flag("--no-block", sp->no_block, "clear the blocked senders (before any --block)");
  v->add_option("--allow", sp->allow,
                "add an allowed sender (address or domain; counts when SPF or DKIM verify it)");
  v->add_flag("--no-allow", sp->no_allow, "clear the allowed senders (before any --allow)");
  v->add_option("--virus-action", sp->virus, "reject, quarantine, or default (the server's)");
  sp->scores.add(v);

  struct Alias {
    std::string alias, name;
  };
  auto aa = std::make_shared<Alias>();
  v = verbs.add<Alias>(noun, "add-alias", "make ALIAS another name of DOMAIN", aa,
                       [](Ctx& x, Alias& o) {
                         return x.done(x.svc.add_domain_alias(x.actor, o.alias, o.name),
                                       o.alias + " is now an alias of " + o.name);
                       });
  v->add_option("alias", aa->alias)->required();
  v->add_option("domain", aa->name)->required();
  auto ra = std::make_shared<std::string>();
  v = verbs.add<std::string>(noun, "remove-alias", "remove a domain alias", ra,
                             [](Ctx& x, std::string& a) {
                               return x.done(x.svc.remove_domain_alias(x.actor, a), a + " removed");
                             });
  v->add_option("alias", *ra)->required();

  struct Pm {
    std::string name;
    PasswordFlags pw;
  };
  auto pm = std::make_shared<Pm>();
  v = verbs.add<Pm>(noun, "postmaster-password", "set postmaster@DOMAIN's password", pm,
                    [](Ctx& x, Pm& o) {
                      auto p = o.pw.get();
                      if (!p)
                        return x.fail(Error(Errc::kInvalid, "give --password or --password-stdin"));
                      return x.done(x.svc.set_postmaster_password(x.actor, o.name, *p),
                                    "postmaster password set");
                    });
  v->add_option("name", pm->name)->required();
  pm->pw.add(v, "the new password");
}

}  // namespace

void add_domain_commands(CLI::App& app, const Verbs& verbs) {
  auto* noun = app.add_subcommand("domain", "domains, their limits, aliases and catch-all");
  noun->require_subcommand(1);
  add_domain_read_verbs(noun, verbs);
  verbs.limits<d::Domain>(noun, "set a domain's limits", false, &d::Service::get_domain,
                          &d::Service::set_domain_limits);
  add_domain_name_verbs(noun, verbs);
  verbs.lifecycle(noun, "domain", "name", &d::Service::delete_domain, &d::Service::restore_domain,
                  &d::Service::purge_domain);
}

}  // namespace posthouse::app::directory_cli
