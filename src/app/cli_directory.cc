#include "app/commands.h"
#include "config/config.h"
#include "queue/dkim.h"
#include "queue/dns_records.h"
#include "app/cli_directory.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>

#include "base/ids.h"
#include "base/strings.h"
#include "directory/json.h"
#include "directory/mailbox_import.h"
#include "directory/service.h"
#include "store/sqlite/db.h"
#include "store/sqlite/directory_store.h"
#include "store/sqlite/dkim_key_store.h"

namespace posthouse::app {

base::Result<std::unique_ptr<CliSession>> open_cli_session(const std::string& data_dir,
                                                           const std::string& as_login) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec)
    return base::Error(base::Errc::kIo,
                       fmt::format("cannot create {}: {}", data_dir, ec.message()));
  auto s = std::make_unique<CliSession>();
  s->db = PH_TRY(
      store::sqlite::Db::open((std::filesystem::path(data_dir) / "posthouse.db").string()));
  PH_CHECK(s->db->migrate());
  s->store = std::make_unique<store::sqlite::SqliteDirectoryStore>(*s->db);
  // The data dir's config decides password policy, hash cost and retention, as for the server.
  directory::Options opts;
  std::string cfg_path = (std::filesystem::path(data_dir) / "posthouse.toml").string();
  if (std::filesystem::exists(cfg_path, ec)) {
    auto cfg = config::load(cfg_path);
    if (!cfg.ok()) return base::Error(base::Errc::kInvalid, cfg.error().message, "config");
    opts = directory_options(*cfg);
    s->hostname = cfg->server.hostname;
    s->dkim_selector = cfg->outbound.dkim_selector;
  }
  s->svc = std::make_unique<directory::Service>(*s->store, opts);
  s->actor = directory::Service::cli_admin();
  if (!as_login.empty()) {
    s->actor = PH_TRY(s->svc->actor_for(as_login));
    s->actor.source = "cli";
  }
  return s;
}

namespace {

namespace d = directory;
using base::Errc;
using base::Error;
using nlohmann::json;

// One line on stderr; exit code 1.
int print_error(const Error& e, bool json_out) {
  if (json_out) {
    json j = {{"error", {{"code", base::errc_name(e.code)}, {"message", e.message}}}};
    if (!e.field.empty()) j["error"]["field"] = e.field;
    std::fprintf(stderr, "%s\n", j.dump().c_str());
  } else {
    std::fprintf(stderr, "error: %s\n", e.message.c_str());
  }
  return 1;
}

// What a command needs when it runs.
struct Ctx {
  d::Service& svc;
  d::Actor actor;
  bool json_out;
  store::sqlite::Db& db;
  std::string hostname = "localhost";  // from the data dir's config, for `domain dns`
  std::string dkim_selector = "ph1";

  int fail(const Error& e) const { return print_error(e, json_out); }
  // Prints j with --json, else the text.
  int out(const json& j, const std::string& text) const {
    if (json_out)
      std::printf("%s\n", j.dump().c_str());
    else if (!text.empty())
      std::printf("%s\n", text.c_str());
    return 0;
  }
  template <class T>
  int done(const base::Result<T>& r, const std::function<std::string(const T&)>& text) const {
    if (!r.ok()) return fail(r.error());
    return out(d::to_json(*r), text(*r));
  }
  int done(const base::Status& s, const std::string& text) const {
    if (!s.ok()) return fail(s.error());
    return out({{"ok", true}}, text);
  }
  template <class T>
  int list(const base::Result<std::vector<T>>& r,
           const std::function<std::string(const T&)>& line) const {
    if (!r.ok()) return fail(r.error());
    json arr = json::array();
    std::string text;
    for (const auto& x : *r) {
      arr.push_back(d::to_json(x));
      text += line(x) + "\n";
    }
    if (!text.empty()) text.pop_back();
    return out(arr, text);
  }
};

using Action = std::function<int(Ctx&)>;

std::string fmt_limit(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "-"; }
std::string fmt_limits(const d::Limits& l) {
  return fmt::format("domains={} mailboxes={} mailbox_bytes={} total_bytes={}",
                     fmt_limit(l.max_domains), fmt_limit(l.max_mailboxes),
                     fmt_limit(l.max_mailbox_bytes), fmt_limit(l.max_total_bytes));
}

// --max-* flags: absent keeps the current value, "none" removes the limit.
struct LimitFlags {
  std::string domains, mailboxes, mailbox_size, total_size;
  void add(CLI::App* c, bool with_domains) {
    if (with_domains) c->add_option("--max-domains", domains, "max domains, or none");
    c->add_option("--max-mailboxes", mailboxes, "max mailboxes, or none");
    c->add_option("--max-mailbox-size", mailbox_size, "max quota per mailbox (e.g. 2G), or none");
    c->add_option("--max-total-size", total_size, "max sum of quotas (e.g. 100G), or none");
  }
  base::Result<d::Limits> apply(d::Limits l) const {
    auto one = [](const std::string& s, std::optional<int64_t>* v, bool size,
                  const char* field) -> base::Status {
      if (s.empty()) return {};
      if (s == "none") {
        v->reset();
        return {};
      }
      if (size) {
        *v = PH_TRY(d::parse_size(s, field));
        return {};
      }
      char* end = nullptr;
      long long n = std::strtoll(s.c_str(), &end, 10);
      if (end != s.c_str() + s.size() || n < 0)
        return Error(Errc::kInvalid, fmt::format("{} must be a number or none", field), field);
      *v = n;
      return {};
    };
    PH_CHECK(one(domains, &l.max_domains, false, "max-domains"));
    PH_CHECK(one(mailboxes, &l.max_mailboxes, false, "max-mailboxes"));
    PH_CHECK(one(mailbox_size, &l.max_mailbox_bytes, true, "max-mailbox-size"));
    PH_CHECK(one(total_size, &l.max_total_bytes, true, "max-total-size"));
    return l;
  }
};

// --password P, or --password-stdin (one line; keeps the secret out of `ps`).
struct PasswordFlags {
  std::string value;
  bool from_stdin = false;
  void add(CLI::App* c, const char* what) {
    auto* p = c->add_option("--password", value, what);
    auto* s = c->add_flag("--password-stdin", from_stdin, "read the password from stdin");
    p->excludes(s);
  }
  std::optional<std::string> get() const {
    if (from_stdin) {
      std::string line;
      std::getline(std::cin, line);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (value.empty()) return std::nullopt;
    return value;
  }
};

struct BrandingFlags {
  std::optional<std::string> sender_name, sender_address, product_name, logo_url, welcome, reset;
  void add(CLI::App* c) {
    c->add_option("--sender-name", sender_name);
    c->add_option("--sender-address", sender_address);
    c->add_option("--product-name", product_name);
    c->add_option("--logo-url", logo_url);
    c->add_option("--welcome-text", welcome);
    c->add_option("--reset-text", reset);
  }
  d::Branding apply(d::Branding b) const {
    if (sender_name) b.sender_name = *sender_name;
    if (sender_address) b.sender_address = *sender_address;
    if (product_name) b.product_name = *product_name;
    if (logo_url) b.logo_url = *logo_url;
    if (welcome) b.welcome_text = *welcome;
    if (reset) b.reset_text = *reset;
    return b;
  }
};

// "imap,pop3,-webmail": names switch a service on, a leading '-' switches it off.
base::Result<d::Services> apply_services(d::Services s, const std::string& spec) {
  for (auto part : base::split(spec, ',')) {
    part = base::trim(part);
    if (part.empty()) continue;
    bool on = part.front() != '-';
    if (!on) part.remove_prefix(1);
    bool* f = part == "imap"            ? &s.imap
              : part == "pop3"          ? &s.pop3
              : part == "smtp"          ? &s.smtp
              : part == "webmail"       ? &s.webmail
              : part == "forwarding"    ? &s.forwarding
              : part == "autoresponder" ? &s.autoresponder
              : part == "tokens"        ? &s.tokens
                                        : nullptr;
    if (!f)
      return Error(Errc::kInvalid,
                   fmt::format("unknown service '{}' (imap, pop3, smtp, webmail, forwarding, "
                               "autoresponder, tokens)",
                               part),
                   "services");
    *f = on;
  }
  return s;
}

struct TemplateFlags {
  std::string quota, services, folders;
  std::optional<std::string> language, autoresponder;
  void add(CLI::App* c) {
    c->add_option("--quota", quota, "default mailbox quota (e.g. 2G)");
    c->add_option("--services", services, "e.g. imap,smtp,-pop3,forwarding,-tokens");
    c->add_option("--folders", folders, "comma-separated default folders");
    c->add_option("--language", language);
    c->add_option("--autoresponder-text", autoresponder);
  }
  base::Result<d::TemplateSettings> apply(d::TemplateSettings s) const {
    if (!quota.empty()) s.quota_bytes = PH_TRY(d::parse_size(quota, "quota"));
    if (!services.empty()) s.services = PH_TRY(apply_services(s.services, services));
    if (!folders.empty()) {
      s.folders.clear();
      for (auto f : base::split(folders, ','))
        if (!base::trim(f).empty()) s.folders.emplace_back(base::trim(f));
    }
    if (language) s.language = *language;
    if (autoresponder) s.autoresponder_text = *autoresponder;
    return s;
  }
};

std::string mailbox_line(const d::Mailbox& m) {
  return fmt::format("{}\t{}\t{}\tquota={}\t{}", m.id, m.address, m.status, m.quota_bytes,
                     m.display_name);
}

class Commands final : public DirectoryCommands {
 public:
  explicit Commands(CLI::App& app);
  bool selected() const override { return static_cast<bool>(action_); }
  const std::string& data_dir() const override { return data_; }
  bool json_output() const override { return json_; }
  const std::string& as_login() const override { return as_; }
  int run() override;

 private:
  template <class O>
  CLI::App* verb(CLI::App* noun, const char* name, const char* desc, std::shared_ptr<O> o,
                 std::function<int(Ctx&, O&)> fn) {
    auto* v = noun->add_subcommand(name, desc);
    v->callback([this, o, fn] { action_ = [o, fn](Ctx& c) { return fn(c, *o); }; });
    return v;
  }
  template <class T>
  using Getter = base::Result<T> (d::Service::*)(const d::Actor&, std::string_view);
  // `<noun> limits NAME --max-...`: flags not given keep their current value.
  template <class T>
  void limits_verb(CLI::App* noun, const char* desc, bool with_domains, Getter<T> get,
                   base::Result<T> (d::Service::*set)(const d::Actor&, std::string_view,
                                                      const d::Limits&)) {
    struct Lim {
      std::string name;
      LimitFlags limits;
    };
    auto l = std::make_shared<Lim>();
    auto* v = verb<Lim>(noun, "limits", desc, l, [get, set](Ctx& x, Lim& o) {
      auto cur = (x.svc.*get)(x.actor, o.name);
      if (!cur.ok()) return x.fail(cur.error());
      auto lim = o.limits.apply(cur->limits);
      if (!lim.ok()) return x.fail(lim.error());
      return x.done<T>((x.svc.*set)(x.actor, o.name, *lim),
                       [](auto& r) { return "limits: " + fmt_limits(r.limits); });
    });
    v->add_option("name", l->name)->required();
    l->limits.add(v, with_domains);
  }
  // `<noun> branding NAME --product-name ...`: flags not given keep their current value.
  template <class T>
  void branding_verb(CLI::App* noun, const char* desc, Getter<T> get,
                     base::Result<T> (d::Service::*set)(const d::Actor&, std::string_view,
                                                        const d::Branding&)) {
    struct Brand {
      std::string name;
      BrandingFlags b;
    };
    auto b = std::make_shared<Brand>();
    auto* v = verb<Brand>(noun, "branding", desc, b, [get, set](Ctx& x, Brand& o) {
      auto cur = (x.svc.*get)(x.actor, o.name);
      if (!cur.ok()) return x.fail(cur.error());
      return x.done<T>((x.svc.*set)(x.actor, o.name, o.b.apply(cur->branding)),
                       [&](auto&) { return "branding updated for " + o.name; });
    });
    v->add_option("name", b->name)->required();
    b->b.add(v);
  }
  void customers(CLI::App& app);
  void platform(CLI::App& app);
  void managers(CLI::App& app);
  void domains(CLI::App& app);
  void mailboxes(CLI::App& app);
  void aliases(CLI::App& app);
  void templates(CLI::App& app);
  void delegations(CLI::App& app);
  void audits(CLI::App& app);
  void passwords(CLI::App& app);

  std::string data_ = "./var/dev";
  std::string as_;
  bool json_ = false;
  Action action_;
};

Commands::Commands(CLI::App& app) {
  app.add_option("--data", data_, "data directory (default ./var/dev)");
  app.add_option("--as", as_, "act as this login (default: platform admin)");
  app.add_flag("--json", json_, "print results as JSON");
  app.fallthrough();  // lets --json/--as/--data follow the noun and verb
  customers(app);
  platform(app);
  managers(app);
  domains(app);
  mailboxes(app);
  aliases(app);
  templates(app);
  delegations(app);
  audits(app);
  passwords(app);
}

int Commands::run() {
  auto session = open_cli_session(data_, as_);
  if (!session.ok()) {
    if (session.error().field == "config") {
      std::cerr << "posthouse: " << session.error().message << "\n";
      return 2;
    }
    return print_error(session.error(), json_);
  }
  auto& x = **session;
  Ctx ctx{*x.svc, x.actor, json_, *x.db, x.hostname, x.dkim_selector};
  return action_(ctx);
}

// ------------------------------------------------------------------ customer

void Commands::customers(CLI::App& app) {
  auto* noun = app.add_subcommand("customer", "customers (platform admin)");
  noun->require_subcommand(1);
  struct Create {
    std::string name, login;
    PasswordFlags pw;
    LimitFlags limits;
  };
  auto c = std::make_shared<Create>();
  auto* v = verb<Create>(noun, "create", "create a customer", c, [](Ctx& x, Create& o) {
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
  verb<int>(noun, "list", "list customers", none, [](Ctx& x, int&) {
    return x.list<d::Customer>(x.svc.list_customers(x.actor), [](auto& c) {
      return fmt::format("{}\t{}\t{}", c.id, c.name, fmt_limits(c.limits));
    });
  });

  auto name = std::make_shared<std::string>();
  v = verb<std::string>(noun, "show", "show a customer and its usage", name,
                        [](Ctx& x, std::string& n) {
                          auto c = x.svc.get_customer(x.actor, n);
                          if (!c.ok()) return x.fail(c.error());
                          auto u = x.svc.customer_usage(x.actor, n);
                          if (!u.ok()) return x.fail(u.error());
                          json j = d::to_json(*c);
                          j["usage"] = d::to_json(*u);
                          return x.out(j, fmt::format("{} ({})\nlimits: {}\nusage: domains={} "
                                                      "mailboxes={} bytes={}",
                                                      c->name, c->status, fmt_limits(c->limits),
                                                      u->domains, u->mailboxes, u->bytes));
                        });
  v->add_option("name", *name)->required();

  auto del = std::make_shared<std::string>();
  v = verb<std::string>(
      noun, "delete", "delete a customer without domains", del, [](Ctx& x, std::string& n) {
        return x.done(x.svc.delete_customer(x.actor, n), "customer " + n + " deleted");
      });
  v->add_option("name", *del)->required();

  limits_verb<d::Customer>(noun, "set a customer's limits", true, &d::Service::get_customer,
                           &d::Service::set_customer_limits);
  branding_verb<d::Customer>(noun, "set a customer's white-label settings",
                             &d::Service::get_customer, &d::Service::set_customer_branding);
}

// ------------------------------------------------------------------ platform

// `platform limits [--max-...]`: shows the platform limits and the server's usage; flags set
// them (flags not given keep their value, "none" removes a limit).
void Commands::platform(CLI::App& app) {
  auto* noun = app.add_subcommand("platform", "platform-wide settings (platform admin)");
  noun->require_subcommand(1);
  auto l = std::make_shared<LimitFlags>();
  auto* v = verb<LimitFlags>(
      noun, "limits", "show or set the platform limits", l, [](Ctx& x, LimitFlags& o) {
        auto cur = x.svc.get_platform_limits(x.actor);
        if (!cur.ok()) return x.fail(cur.error());
        bool change = !o.domains.empty() || !o.mailboxes.empty() || !o.mailbox_size.empty() ||
                      !o.total_size.empty();
        if (change) {
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

// ------------------------------------------------------------------ manager

void Commands::managers(CLI::App& app) {
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
  auto* v = verb<Create>(noun, "create", "create a manager", c, [](Ctx& x, Create& o) {
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
  v = verb<std::string>(noun, "list", "list managers", cust, [](Ctx& x, std::string& cu) {
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
  v = verb<Doms>(noun, "domains", "set a manager's domains", ds, [](Ctx& x, Doms& o) {
    return x.done<d::Principal>(x.svc.set_manager_domains(x.actor, o.login, o.domains),
                                [](auto& p) { return "domains updated for " + p.login; });
  });
  v->add_option("login", ds->login)->required();
  v->add_option("domains", ds->domains);

  limits_verb<d::Principal>(noun, "set a manager's limits", true, &d::Service::get_manager,
                            &d::Service::set_manager_limits);
  branding_verb<d::Principal>(noun, "set a manager's white-label settings",
                              &d::Service::get_manager, &d::Service::set_manager_branding);

  auto del = std::make_shared<std::string>();
  v = verb<std::string>(noun, "delete", "delete a manager", del, [](Ctx& x, std::string& lg) {
    return x.done(x.svc.delete_manager(x.actor, lg), "manager " + lg + " deleted");
  });
  v->add_option("login", *del)->required();
}

// ------------------------------------------------------------------ domain

void Commands::domains(CLI::App& app) {
  auto* noun = app.add_subcommand("domain", "domains, their limits, aliases and catch-all");
  noun->require_subcommand(1);
  struct Create {
    std::string name, customer, manager;
    PasswordFlags pw;
    LimitFlags limits;
  };
  auto c = std::make_shared<Create>();
  auto* v = verb<Create>(
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
  v = verb<std::string>(noun, "list", "list domains", cust, [](Ctx& x, std::string& cu) {
    return x.list<d::Domain>(x.svc.list_domains(x.actor, cu), [](auto& dm) {
      return fmt::format("{}\t{}\t{}", dm.id, dm.name, dm.status);
    });
  });
  v->add_option("--customer", *cust);

  auto name = std::make_shared<std::string>();
  v = verb<std::string>(
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
  v = verb<std::string>(
      noun, "dns", "print the DNS records the domain needs (zone file lines)", dns_name,
      [](Ctx& x, std::string& n) {
        auto dm = x.svc.get_domain(x.actor, n);
        if (!dm.ok()) return x.fail(dm.error());
        store::sqlite::SqliteDkimKeyStore key_store(x.db);
        auto keys = queue::DkimKeys(key_store).ensure(dm->name, x.dkim_selector, std::time(nullptr));
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

  limits_verb<d::Domain>(noun, "set a domain's limits", false, &d::Service::get_domain,
                         &d::Service::set_domain_limits);

  struct Catch {
    std::string name, target;
    bool none = false;
  };
  auto ca = std::make_shared<Catch>();
  v = verb<Catch>(
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

  struct Alias {
    std::string alias, name;
  };
  auto aa = std::make_shared<Alias>();
  v = verb<Alias>(noun, "add-alias", "make ALIAS another name of DOMAIN", aa, [](Ctx& x, Alias& o) {
    return x.done(x.svc.add_domain_alias(x.actor, o.alias, o.name),
                  o.alias + " is now an alias of " + o.name);
  });
  v->add_option("alias", aa->alias)->required();
  v->add_option("domain", aa->name)->required();
  auto ra = std::make_shared<std::string>();
  v = verb<std::string>(noun, "remove-alias", "remove a domain alias", ra,
                        [](Ctx& x, std::string& a) {
                          return x.done(x.svc.remove_domain_alias(x.actor, a), a + " removed");
                        });
  v->add_option("alias", *ra)->required();

  struct Pm {
    std::string name;
    PasswordFlags pw;
  };
  auto pm = std::make_shared<Pm>();
  v = verb<Pm>(noun, "postmaster-password", "set postmaster@DOMAIN's password", pm,
               [](Ctx& x, Pm& o) {
                 auto p = o.pw.get();
                 if (!p)
                   return x.fail(Error(Errc::kInvalid, "give --password or --password-stdin"));
                 return x.done(x.svc.set_postmaster_password(x.actor, o.name, *p),
                               "postmaster password set");
               });
  v->add_option("name", pm->name)->required();
  pm->pw.add(v, "the new password");

  using Op = base::Status (d::Service::*)(const d::Actor&, std::string_view);
  for (auto [vn, fn, what] :
       {std::tuple<const char*, Op, const char*>{"delete", &d::Service::delete_domain,
                                                 "deleted (restorable until purged)"},
        {"restore", &d::Service::restore_domain, "restored"},
        {"purge", &d::Service::purge_domain, "purged"}}) {
    auto n = std::make_shared<std::string>();
    std::string msg = what;
    v = verb<std::string>(noun, vn, (std::string(vn) + " a domain").c_str(), n,
                          [fn = fn, msg](Ctx& x, std::string& nm) {
                            return x.done((x.svc.*fn)(x.actor, nm), "domain " + nm + " " + msg);
                          });
    v->add_option("name", *n)->required();
  }
}

// ------------------------------------------------------------------ mailbox + forward

void Commands::mailboxes(CLI::App& app) {
  auto* noun = app.add_subcommand("mailbox", "mailboxes");
  noun->require_subcommand(1);
  struct Create {
    std::string address, name, tmpl, quota;
    PasswordFlags pw;
  };
  auto c = std::make_shared<Create>();
  auto* v =
      verb<Create>(noun, "create", "create a mailbox from a template", c, [](Ctx& x, Create& o) {
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
  v = verb<std::string>(
      noun, "list", "list a domain's mailboxes", dom, [](Ctx& x, std::string& dn) {
        return x.list<d::Mailbox>(x.svc.list_mailboxes(x.actor, dn), mailbox_line);
      });
  v->add_option("domain", *dom)->required();

  auto addr = std::make_shared<std::string>();
  v = verb<std::string>(noun, "show", "show a mailbox", addr, [](Ctx& x, std::string& a) {
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
  v = verb<Edit>(noun, "edit", "change name, quota, status or services", e, [](Ctx& x, Edit& o) {
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
  v = verb<Pw>(noun, "password", "set a mailbox's password", p, [](Ctx& x, Pw& o) {
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
  v = verb<Move>(noun, "move", "rename a mailbox, possibly into another domain", mv,
                 [](Ctx& x, Move& o) {
                   return x.done<d::Mailbox>(x.svc.move_mailbox(x.actor, o.from, o.to),
                                             [](auto& m) { return "mailbox is now " + m.address; });
                 });
  v->add_option("address", mv->from)->required();
  v->add_option("new-address", mv->to)->required();

  using Op = base::Status (d::Service::*)(const d::Actor&, std::string_view);
  for (auto [vn, fn, what] :
       {std::tuple<const char*, Op, const char*>{"delete", &d::Service::delete_mailbox,
                                                 "deleted (restorable until purged)"},
        {"restore", &d::Service::restore_mailbox, "restored"},
        {"purge", &d::Service::purge_mailbox, "purged"}}) {
    auto n = std::make_shared<std::string>();
    std::string msg = what;
    v = verb<std::string>(noun, vn, (std::string(vn) + " a mailbox").c_str(), n,
                          [fn = fn, msg](Ctx& x, std::string& a) {
                            return x.done((x.svc.*fn)(x.actor, a), "mailbox " + a + " " + msg);
                          });
    v->add_option("address", *n)->required();
  }

  auto none = std::make_shared<int>();
  verb<int>(noun, "purge-expired", "purge deletions older than the retention period", none,
            [](Ctx& x, int&) {
              if (x.actor.role != d::Role::kAdmin)
                return x.fail(Error(Errc::kForbidden, "not allowed: purge-expired"));
              auto n = x.svc.purge_expired();
              if (!n.ok()) return x.fail(n.error());
              return x.out({{"purged", *n}}, fmt::format("{} purged", *n));
            });

  auto file = std::make_shared<std::string>();
  v = verb<std::string>(
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

  auto* fwd = app.add_subcommand("forward", "a mailbox's forwarding");
  fwd->require_subcommand(1);
  struct Fwd {
    std::string address;
    std::vector<std::string> targets;
    bool no_copy = false;
  };
  auto f = std::make_shared<Fwd>();
  v = verb<Fwd>(fwd, "set", "forward a mailbox's mail", f, [](Ctx& x, Fwd& o) {
    return x.done<d::Mailbox>(x.svc.set_forward(x.actor, o.address, o.targets, !o.no_copy),
                              [](auto& m) { return "forwarding set for " + m.address; });
  });
  v->add_option("address", f->address)->required();
  v->add_option("targets", f->targets)->required();
  v->add_flag("--no-keep-copy", f->no_copy, "do not keep a copy in the mailbox");
  auto fc = std::make_shared<std::string>();
  v = verb<std::string>(fwd, "clear", "stop forwarding", fc, [](Ctx& x, std::string& a) {
    return x.done<d::Mailbox>(x.svc.set_forward(x.actor, a, {}, true),
                              [](auto& m) { return "forwarding cleared for " + m.address; });
  });
  v->add_option("address", *fc)->required();
}

// ------------------------------------------------------------------ alias

void Commands::aliases(CLI::App& app) {
  auto* noun = app.add_subcommand("alias", "address aliases");
  noun->require_subcommand(1);
  struct Set {
    std::string address;
    std::vector<std::string> targets;
  };
  auto s = std::make_shared<Set>();
  auto* v = verb<Set>(noun, "set", "create an alias or replace its targets", s, [](Ctx& x, Set& o) {
    return x.done<d::Alias>(x.svc.set_alias(x.actor, o.address, o.targets),
                            [](auto& a) { return "alias " + a.address + " set"; });
  });
  v->add_option("address", s->address)->required();
  v->add_option("targets", s->targets)->required();
  auto del = std::make_shared<std::string>();
  v = verb<std::string>(noun, "delete", "delete an alias", del, [](Ctx& x, std::string& a) {
    return x.done(x.svc.delete_alias(x.actor, a), "alias " + a + " deleted");
  });
  v->add_option("address", *del)->required();
  auto dom = std::make_shared<std::string>();
  v = verb<std::string>(noun, "list", "list a domain's aliases", dom, [](Ctx& x, std::string& dn) {
    return x.list<d::Alias>(x.svc.list_aliases(x.actor, dn), [](auto& a) {
      std::string t;
      for (auto& x : a.targets) t += (t.empty() ? "" : ",") + x;
      return a.address + "\t" + t;
    });
  });
  v->add_option("domain", *dom)->required();
}

// ------------------------------------------------------------------ template

void Commands::templates(CLI::App& app) {
  auto* noun = app.add_subcommand("template", "mailbox templates (versioned)");
  noun->require_subcommand(1);
  struct T {
    std::string name, customer;
    TemplateFlags flags;
  };
  auto c = std::make_shared<T>();
  auto* v = verb<T>(noun, "create", "create a template", c, [](Ctx& x, T& o) {
    auto s = o.flags.apply({});
    if (!s.ok()) return x.fail(s.error());
    return x.done<d::Template>(x.svc.create_template(x.actor, o.customer, o.name, *s),
                               [](auto& t) { return "template " + t.name + " created"; });
  });
  v->add_option("name", c->name)->required();
  v->add_option("--customer", c->customer, "owner customer; '-' for platform-wide");
  c->flags.add(v);

  auto e = std::make_shared<T>();
  v = verb<T>(noun, "edit", "change a template (makes a new version)", e, [](Ctx& x, T& o) {
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
  v = verb<std::string>(noun, "list", "list templates", cu, [](Ctx& x, std::string& c) {
    return x.list<d::Template>(x.svc.list_templates(x.actor, c), [](auto& t) {
      return fmt::format("{}\t{}\tv{}\t{}\tquota={}", t.id, t.name, t.version,
                         t.customer_id ? "customer" : "platform", t.settings.quota_bytes);
    });
  });
  v->add_option("--customer", *cu);
}

// ------------------------------------------------------------------ delegation

void Commands::delegations(CLI::App& app) {
  auto* noun = app.add_subcommand("delegation", "delegations (e.g. an HR user manager)");
  noun->require_subcommand(1);
  struct Create {
    std::string grantee, verbs;
    std::vector<std::string> domains, templates;
    int64_t expires = 0, days = 0;
  };
  auto c = std::make_shared<Create>();
  auto* v =
      verb<Create>(noun, "create", "grant verbs on domains to a login", c, [](Ctx& x, Create& o) {
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
  v = verb<std::string>(noun, "list", "list delegations", cu, [](Ctx& x, std::string& c) {
    return x.list<d::Delegation>(x.svc.list_delegations(x.actor, c), [](auto& dl) {
      std::string vs;
      for (auto vb : dl.verbs) vs += (vs.empty() ? "" : ",") + std::string(d::verb_name(vb));
      return fmt::format("{}\t{}\t{}", dl.id, vs,
                         dl.expires_at ? std::to_string(*dl.expires_at) : "no expiry");
    });
  });
  v->add_option("--customer", *cu);

  auto id = std::make_shared<int64_t>();
  v = verb<int64_t>(noun, "delete", "revoke a delegation", id, [](Ctx& x, int64_t& i) {
    return x.done(x.svc.delete_delegation(x.actor, i), fmt::format("delegation {} deleted", i));
  });
  v->add_option("id", *id)->required();
}

// ------------------------------------------------------------------ audit

void Commands::audits(CLI::App& app) {
  auto* noun = app.add_subcommand("audit", "the audit log (of the actor's scope)");
  noun->require_subcommand(1);
  struct L {
    int limit = 50;
    int64_t before = 0;
  };
  auto l = std::make_shared<L>();
  auto* v = verb<L>(noun, "list", "newest records first", l, [](Ctx& x, L& o) {
    return x.list<d::AuditRecord>(x.svc.list_audit(x.actor, o.limit, o.before), [](auto& r) {
      return fmt::format("{}\t{}\t{}\t{}\t{}\t{}", r.id, r.at, r.actor, r.source, r.verb, r.target);
    });
  });
  v->add_option("--limit", l->limit);
  v->add_option("--before", l->before, "only records with a smaller id (paging)");
}

// ------------------------------------------------------------------ password

void Commands::passwords(CLI::App& app) {
  auto* noun = app.add_subcommand("password", "passwords of logins and mailboxes");
  noun->require_subcommand(1);
  struct Set {
    std::string login;
    PasswordFlags pw;
  };
  auto s = std::make_shared<Set>();
  auto* v = verb<Set>(noun, "set", "set the password of a login or mailbox", s, [](Ctx& x, Set& o) {
    auto pw = o.pw.get();
    if (!pw) return x.fail(Error(Errc::kInvalid, "give --password or --password-stdin"));
    auto a = x.svc.actor_for(o.login);
    if (!a.ok()) return x.fail(a.error());
    auto st = a->role == d::Role::kUser ? x.svc.set_mailbox_password(x.actor, o.login, *pw)
                                        : x.svc.set_principal_password(x.actor, o.login, *pw);
    return x.done(st, "password set");
  });
  v->add_option("login", s->login)->required();
  s->pw.add(v, "the new password");

  auto c = std::make_shared<Set>();
  v = verb<Set>(noun, "check", "check a password (exit 0 when it is right)", c, [](Ctx& x, Set& o) {
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
  v = verb<Set>(noun, "bootstrap-admin", "", b, [](Ctx& x, Set& o) {
    if (x.actor.role != d::Role::kAdmin || x.actor.principal_id != 0)
      return x.fail(Error(Errc::kForbidden, "not allowed: bootstrap-admin"));
    auto given = o.pw.get();
    std::string pw = given ? *given : base::random_password();
    store::sqlite::SqliteDirectoryStore dir_store(x.db);
    auto st = d::bootstrap_platform_admin(dir_store, o.login, pw);
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

}  // namespace

std::unique_ptr<DirectoryCommands> register_directory_commands(CLI::App& app) {
  return std::make_unique<Commands>(app);
}

}  // namespace posthouse::app
