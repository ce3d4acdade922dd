// Private to the directory CLI: src/app/cli_directory.cc (session, globals, flag groups) and
// the nouns, one file each (cli_customers.cc, cli_managers.cc, cli_domains.cc,
// cli_mailboxes.cc, cli_aliases.cc, cli_templates.cc, cli_delegations.cc, cli_audit.cc,
// cli_passwords.cc). Nothing else includes it.
//
// A noun registers its verbs with a Verbs builder while the command line is being set up;
// the verb CLI11 selects stores its action, and DirectoryCommands::run() runs it with a Ctx.
#pragma once

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "directory/json.h"
#include "directory/service.h"
#include "store/sqlite/db.h"

namespace posthouse::app::directory_cli {

namespace d = directory;
using nlohmann::json;

// One line on stderr ("error: <message>", or the JSON error object with --json); returns 1.
int print_error(const base::Error& e, bool json_out);

// What a command needs when it runs.
struct Ctx {
  d::Service& svc;
  d::Actor actor;
  bool json_out;
  store::sqlite::Db& db;
  std::string hostname = "localhost";  // from the data dir's config, for `domain dns`
  std::string dkim_selector = "ph1";

  int fail(const base::Error& e) const { return print_error(e, json_out); }
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

// "domains=5 mailboxes=- ..." ('-': no limit at this level).
std::string fmt_limits(const d::Limits& l);

// --max-* flags: absent keeps the current value, "none" removes the limit.
struct LimitFlags {
  std::string domains, mailboxes, mailbox_size, total_size;
  void add(CLI::App* c, bool with_domains);
  bool any() const;
  base::Result<d::Limits> apply(d::Limits l) const;
};

// --password P, or --password-stdin (one line; keeps the secret out of `ps`).
struct PasswordFlags {
  std::string value;
  bool from_stdin = false;
  void add(CLI::App* c, const char* what);
  std::optional<std::string> get() const;
};

// --sender-name, --product-name, ...: flags not given keep the current value.
struct BrandingFlags {
  std::optional<std::string> sender_name, sender_address, product_name, logo_url, welcome, reset;
  void add(CLI::App* c);
  d::Branding apply(d::Branding b) const;
};

// --reject-score, --quarantine-score, --junk-score: a number, or "none" to clear; absent
// keeps the current value.
struct ScoreFlags {
  std::string reject, quarantine, junk;
  void add(CLI::App* c);
  bool given() const { return !reject.empty() || !quarantine.empty() || !junk.empty(); }
  base::Status apply(std::optional<double>& r, std::optional<double>& q,
                     std::optional<double>& j) const;
  // "reject 15, quarantine -, junk 6"
  static std::string shown(const std::optional<double>& r, const std::optional<double>& q,
                           const std::optional<double>& j);
};
// Entries separated by spaces, or "-" when none.
std::string joined(const std::vector<std::string>& v);

// "imap,pop3,-webmail": names switch a service on, a leading '-' switches it off.
base::Result<d::Services> apply_services(d::Services s, const std::string& spec);

// --quota, --services, --folders, --language, --autoresponder-text of a template.
struct TemplateFlags {
  std::string quota, services, folders;
  std::optional<std::string> language, autoresponder;
  void add(CLI::App* c);
  base::Result<d::TemplateSettings> apply(d::TemplateSettings s) const;
};

// Adds verbs to nouns. The one CLI11 selects stores its action in *selected.
class Verbs {
 public:
  explicit Verbs(Action* selected) : selected_(selected) {}

  // `<noun> <name> ...`: o holds the verb's parsed options, fn runs it.
  template <class O>
  CLI::App* add(CLI::App* noun, const char* name, const char* desc, std::shared_ptr<O> o,
                std::function<int(Ctx&, O&)> fn) const {
    auto* v = noun->add_subcommand(name, desc);
    Action* selected = selected_;
    v->callback([selected, o, fn] { *selected = [o, fn](Ctx& c) { return fn(c, *o); }; });
    return v;
  }

  template <class T>
  using Getter = base::Result<T> (d::Service::*)(const d::Actor&, std::string_view);
  template <class T, class V>
  using Setter = base::Result<T> (d::Service::*)(const d::Actor&, std::string_view, const V&);

  // `<noun> limits NAME --max-...`: flags not given keep their current value.
  template <class T>
  void limits(CLI::App* noun, const char* desc, bool with_domains, Getter<T> get,
              Setter<T, d::Limits> set) const {
    struct Lim {
      std::string name;
      LimitFlags limits;
    };
    auto l = std::make_shared<Lim>();
    auto* v = add<Lim>(noun, "limits", desc, l, [get, set](Ctx& x, Lim& o) {
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
  void branding(CLI::App* noun, const char* desc, Getter<T> get, Setter<T, d::Branding> set) const {
    struct Brand {
      std::string name;
      BrandingFlags b;
    };
    auto b = std::make_shared<Brand>();
    auto* v = add<Brand>(noun, "branding", desc, b, [get, set](Ctx& x, Brand& o) {
      auto cur = (x.svc.*get)(x.actor, o.name);
      if (!cur.ok()) return x.fail(cur.error());
      return x.done<T>((x.svc.*set)(x.actor, o.name, o.b.apply(cur->branding)),
                       [&](auto&) { return "branding updated for " + o.name; });
    });
    v->add_option("name", b->name)->required();
    b->b.add(v);
  }

  // `<noun> delete|restore|purge NAME` (restorable delete): the three verbs of one noun.
  using Lifecycle = base::Status (d::Service::*)(const d::Actor&, std::string_view);
  void lifecycle(CLI::App* noun, const std::string& what, const char* arg, Lifecycle del,
                 Lifecycle restore, Lifecycle purge) const;

 private:
  Action* selected_;
};

// The nouns, in the order `posthouse --help` lists them.
void add_customer_commands(CLI::App& app, const Verbs& verbs);
void add_platform_commands(CLI::App& app, const Verbs& verbs);
void add_manager_commands(CLI::App& app, const Verbs& verbs);
void add_domain_commands(CLI::App& app, const Verbs& verbs);
void add_mailbox_commands(CLI::App& app, const Verbs& verbs);
void add_forward_commands(CLI::App& app, const Verbs& verbs);
void add_alias_commands(CLI::App& app, const Verbs& verbs);
void add_template_commands(CLI::App& app, const Verbs& verbs);
void add_delegation_commands(CLI::App& app, const Verbs& verbs);
void add_audit_commands(CLI::App& app, const Verbs& verbs);
void add_password_commands(CLI::App& app, const Verbs& verbs);

}  // namespace posthouse::app::directory_cli
