// `posthouse mailbox ...`: mailboxes (create from a template, edit, password, move, CSV
// import); delete, restore, purge, purge-expired.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "app/cli_directory_internal.h"
#include "directory/mailbox_import.h"

namespace posthouse::app::directory_cli {

using base::Errc;
using base::Error;

namespace {

std::string mailbox_line(const d::Mailbox& m) {
  return fmt::format("{}\t{}\t{}\tquota={}\t{}", m.id, m.address, m.status, m.quota_bytes,
                     m.display_name);
}

// create, list, show, edit, password, move
void add_mailbox_edit_verbs(CLI::App* noun, const Verbs& verbs) {
  struct Create {
    std::string address, name, tmpl, quota;
    PasswordFlags pw;
  };
  auto c = std::make_shared<Create>();
  auto* v = verbs.add<Create>(
      noun, "create", "create a mailbox from a template", c, [](Ctx& x, Create& o) {
        d::MailboxSpec s{o.address, o.name, o.tmpl, o.pw.get(), std::nullopt};
        if (!o.quota.empty()) {
          auto q = d::parse_size(o.quota, "quota");
          if (!q.ok()) return x.fail(q.error());
          s.quota_bytes = *q;
        }
        return x.done<d::Mailbox>(x.svc.create_mailbox(x.actor, s),
                                  [](auto& m) { return "mailbox " + m.address + " created"; });
      });
  v->add_option("address", c->address)->required();
  v->add_option("--template", c->tmpl, "the mailbox template")->required();
  v->add_option("--name", c->name, "display name");
  v->add_option("--quota", c->quota, "quota (default: the template's), e.g. 2G");
  c->pw.add(v, "password (absent: no login until one is set)");

  auto dom = std::make_shared<std::string>();
  v = verbs.add<std::string>(
      noun, "list", "list a domain's mailboxes", dom, [](Ctx& x, std::string& dn) {
        return x.list<d::Mailbox>(x.svc.list_mailboxes(x.actor, dn), mailbox_line);
      });
  v->add_option("domain", *dom)->required();

  auto addr = std::make_shared<std::string>();
  v = verbs.add<std::string>(noun, "show", "show a mailbox", addr, [](Ctx& x, std::string& a) {
    return x.done<d::Mailbox>(x.svc.get_mailbox(x.actor, a), [](auto& m) {
      return fmt::format(
          "{}\nname: {}\nstatus: {}\nquota: {}\ntemplate: #{} v{}\nforward: {}"
          "\nlast login: {} {}",
          m.address, m.display_name, m.status, m.quota_bytes, m.template_id, m.template_version,
          d::to_json(m)["forward"].dump(),
          m.last_login_at ? std::to_string(*m.last_login_at) : "never",
          m.last_login_protocol.value_or(""));
    });
  });
  v->add_option("address", *addr)->required();

  struct Edit {
    std::string address, quota, services;
    std::optional<std::string> name, status;
  };
  auto e = std::make_shared<Edit>();
  v = verbs.add<Edit>(
      noun, "edit", "change name, quota, status or services", e, [](Ctx& x, Edit& o) {
        d::MailboxEdit ed;
        ed.display_name = o.name;
        ed.status = o.status;
        if (!o.quota.empty()) {
          auto q = d::parse_size(o.quota, "quota");
          if (!q.ok()) return x.fail(q.error());
          ed.quota_bytes = *q;
        }
        if (!o.services.empty()) {
          auto m = x.svc.get_mailbox(x.actor, o.address);
          if (!m.ok()) return x.fail(m.error());
          auto s = apply_services(m->services, o.services);
          if (!s.ok()) return x.fail(s.error());
          ed.services = *s;
        }
        return x.done<d::Mailbox>(x.svc.edit_mailbox(x.actor, o.address, ed),
                                  [](auto& m) { return "mailbox " + m.address + " updated"; });
      });
  v->add_option("address", e->address)->required();
  v->add_option("--name", e->name);
  v->add_option("--quota", e->quota);
  v->add_option("--status", e->status, "active or disabled");
  v->add_option("--services", e->services, "e.g. -pop3,imap");

  struct Pw {
    std::string address;
    PasswordFlags pw;
  };
  auto p = std::make_shared<Pw>();
  v = verbs.add<Pw>(noun, "password", "set a mailbox's password", p, [](Ctx& x, Pw& o) {
    auto pw = o.pw.get();
    if (!pw) return x.fail(Error(Errc::kInvalid, "give --password or --password-stdin"));
    return x.done(x.svc.set_mailbox_password(x.actor, o.address, *pw), "password set");
  });
  v->add_option("address", p->address)->required();
  p->pw.add(v, "the new password");

  struct Move {
    std::string from, to;
  };
  auto mv = std::make_shared<Move>();
  v = verbs.add<Move>(
      noun, "move", "rename a mailbox, possibly into another domain", mv, [](Ctx& x, Move& o) {
        return x.done<d::Mailbox>(x.svc.move_mailbox(x.actor, o.from, o.to),
                                  [](auto& m) { return "mailbox is now " + m.address; });
      });
  v->add_option("address", mv->from)->required();
  v->add_option("new-address", mv->to)->required();
}

// purge-expired, import
void add_mailbox_batch_verbs(CLI::App* noun, const Verbs& verbs) {
  auto none = std::make_shared<int>();
  verbs.add<int>(noun, "purge-expired", "purge deletions older than the retention period", none,
                 [](Ctx& x, int&) {
                   auto n = x.svc.purge_expired(x.actor);
                   if (!n.ok()) return x.fail(n.error());
                   return x.out({{"purged", *n}}, fmt::format("{} purged", *n));
                 });

  auto file = std::make_shared<std::string>();
  auto* v = verbs.add<std::string>(
      noun, "import", "create mailboxes from CSV: address,name,template[,quota]", file,
      [](Ctx& x, std::string& path) {
        std::ifstream in(path);
        if (!in) return x.fail(Error(Errc::kIo, fmt::format("cannot read {}", path)));
        bool tty = ::isatty(STDERR_FILENO) && !x.json_out;
        auto progress = [tty](int done, int total) {
          if (!tty) return;
          int width = 30, filled = total ? done * width / total : width;
          std::fprintf(stderr, "\r[%s%s] %d/%d", std::string(filled, '#').c_str(),
                       std::string(width - filled, ' ').c_str(), done, total);
          if (done == total) std::fprintf(stderr, "\n");
        };
        auto r = d::import_mailboxes(x.svc, x.actor, in, progress);
        if (!r.ok()) return x.fail(r.error());
        json rej = json::array();
        std::string text = fmt::format("{} imported, {} rejected", r->imported, r->rejected.size());
        for (auto& row : r->rejected) {
          rej.push_back({{"line", row.line}, {"address", row.address}, {"reason", row.reason}});
          text += fmt::format("\nline {}: {}: {}", row.line, row.address, row.reason);
        }
        x.out({{"imported", r->imported}, {"rejected", rej}}, text);
        return r->rejected.empty() ? 0 : 1;
      });
  v->add_option("file", *file)->required()->check(CLI::ExistingFile);
}

// `mailbox spam-settings ADDRESS [--junk-score N ...] [--block S] [--allow S]`
void add_mailbox_spam_verb(CLI::App* noun, const Verbs& verbs) {
  struct Spam {
    std::string address;
    std::vector<std::string> block, allow;
    bool no_block = false, no_allow = false;
    ScoreFlags scores;
  };
  auto sp = std::make_shared<Spam>();
  auto* v = verbs.add<Spam>(
      noun, "spam-settings",
      "show or set a mailbox's own spam settings (tighter thresholds, blocked and allowed "
      "senders)",
      sp, [](Ctx& x, Spam& o) {
        auto cur = x.svc.get_user_spam(x.actor, o.address);
        if (!cur) return x.fail(cur.error());
        d::UserSpamSettings u = *cur;
        bool change = !o.block.empty() || o.no_block || !o.allow.empty() || o.no_allow ||
                      o.scores.given();
        if (o.no_block) u.block.clear();
        for (const auto& b : o.block) u.block.push_back(b);
        if (o.no_allow) u.allow.clear();
        for (const auto& b : o.allow) u.allow.push_back(b);
        if (auto st = o.scores.apply(u.reject_score, u.quarantine_score, u.junk_score); !st)
          return x.fail(st.error());
        auto shown = [](const d::UserSpamSettings& r) {
          return fmt::format("thresholds: {}\nblocked senders: {}\nallowed senders: {}",
                             ScoreFlags::shown(r.reject_score, r.quarantine_score, r.junk_score),
                             joined(r.block), joined(r.allow));
        };
        if (!change) return x.done<d::UserSpamSettings>(std::move(cur), shown);
        return x.done<d::UserSpamSettings>(x.svc.set_user_spam(x.actor, o.address, std::move(u)),
                                           shown);
      });
  v->add_option("address", sp->address)->required();
  v->add_option("--block", sp->block, "add a blocked sender (address or domain)");
  v->add_flag("--no-block", sp->no_block, "clear the blocked senders (before any --block)");
  v->add_option("--allow", sp->allow,
                "add an allowed sender (address or domain; counts when SPF or DKIM verify it)");
  v->add_flag("--no-allow", sp->no_allow, "clear the allowed senders (before any --allow)");
  sp->scores.add(v);
}

}  // namespace

void add_mailbox_commands(CLI::App& app, const Verbs& verbs) {
  auto* noun = app.add_subcommand("mailbox", "mailboxes");
  noun->require_subcommand(1);
  add_mailbox_edit_verbs(noun, verbs);
  verbs.lifecycle(noun, "mailbox", "address", &d::Service::delete_mailbox,
                  &d::Service::restore_mailbox, &d::Service::purge_mailbox);
  add_mailbox_batch_verbs(noun, verbs);
  add_mailbox_spam_verb(noun, verbs);
}

}  // namespace posthouse::app::directory_cli
