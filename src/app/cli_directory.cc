// The directory CLI: the session a command runs in, the global options, the flag groups the
// nouns share. The nouns themselves are in cli_<noun>.cc (see cli_directory_internal.h).
#include "app/cli_directory.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "app/cli_directory_internal.h"
#include "app/commands.h"
#include "base/strings.h"
#include "config/config.h"
#include "directory/mailbox_import.h"

namespace posthouse::app {

base::Result<std::unique_ptr<CliSession>> open_cli_session(const std::string& data_dir,
                                                           const std::string& as_login) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec)
    return base::Error(base::Errc::kIo,
                       fmt::format("cannot create {}: {}", data_dir, ec.message()));
  auto s = std::make_unique<CliSession>();
  s->db =
      PH_TRY(store::sqlite::Db::open((std::filesystem::path(data_dir) / "posthouse.db").string()));
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

namespace directory_cli {

using base::Errc;
using base::Error;

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

namespace {
std::string fmt_limit(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "-"; }
}  // namespace

std::string fmt_limits(const d::Limits& l) {
  return fmt::format("domains={} mailboxes={} mailbox_bytes={} total_bytes={}",
                     fmt_limit(l.max_domains), fmt_limit(l.max_mailboxes),
                     fmt_limit(l.max_mailbox_bytes), fmt_limit(l.max_total_bytes));
}

// ------------------------------------------------------------------ flag groups

void LimitFlags::add(CLI::App* c, bool with_domains) {
  if (with_domains) c->add_option("--max-domains", domains, "max domains, or none");
  c->add_option("--max-mailboxes", mailboxes, "max mailboxes, or none");
  c->add_option("--max-mailbox-size", mailbox_size, "max quota per mailbox (e.g. 2G), or none");
  c->add_option("--max-total-size", total_size, "max sum of quotas (e.g. 100G), or none");
}

bool LimitFlags::any() const {
  return !domains.empty() || !mailboxes.empty() || !mailbox_size.empty() || !total_size.empty();
}

void ScoreFlags::add(CLI::App* c) {
  c->add_option("--reject-score", reject, "refuse at SMTP time from this rspamd score (none: clear)");
  c->add_option("--quarantine-score", quarantine, "hold in the quarantine from this score");
  c->add_option("--junk-score", junk, "deliver to Junk from this score");
}

base::Status ScoreFlags::apply(std::optional<double>& r, std::optional<double>& q,
                               std::optional<double>& j) const {
  for (auto [text, field, name] : {std::tuple{&reject, &r, "reject-score"},
                                   std::tuple{&quarantine, &q, "quarantine-score"},
                                   std::tuple{&junk, &j, "junk-score"}}) {
    if (text->empty()) continue;
    if (*text == "none") {
      field->reset();
      continue;
    }
    char* end = nullptr;
    double v = std::strtod(text->c_str(), &end);
    if (end != text->c_str() + text->size())
      return Error(Errc::kInvalid, fmt::format("--{} takes a number or none", name), name);
    *field = v;
  }
  return {};
}

std::string ScoreFlags::shown(const std::optional<double>& r, const std::optional<double>& q,
                              const std::optional<double>& j) {
  auto one = [](const std::optional<double>& v) {
    return v ? fmt::format("{:g}", *v) : std::string("-");
  };
  return fmt::format("reject {}, quarantine {}, junk {}", one(r), one(q), one(j));
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& e : v) out += (out.empty() ? "" : " ") + e;
  return out.empty() ? "-" : out;
}

base::Result<d::Limits> LimitFlags::apply(d::Limits l) const {
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

void PasswordFlags::add(CLI::App* c, const char* what) {
  auto* p = c->add_option("--password", value, what);
  auto* s = c->add_flag("--password-stdin", from_stdin, "read the password from stdin");
  p->excludes(s);
}

std::optional<std::string> PasswordFlags::get() const {
  if (from_stdin) {
    std::string line;
    std::getline(std::cin, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  if (value.empty()) return std::nullopt;
  return value;
}

void BrandingFlags::add(CLI::App* c) {
  c->add_option("--sender-name", sender_name);
  c->add_option("--sender-address", sender_address);
  c->add_option("--product-name", product_name);
  c->add_option("--logo-url", logo_url);
  c->add_option("--welcome-text", welcome);
  c->add_option("--reset-text", reset);
}

d::Branding BrandingFlags::apply(d::Branding b) const {
  if (sender_name) b.sender_name = *sender_name;
  if (sender_address) b.sender_address = *sender_address;
  if (product_name) b.product_name = *product_name;
  if (logo_url) b.logo_url = *logo_url;
  if (welcome) b.welcome_text = *welcome;
  if (reset) b.reset_text = *reset;
  return b;
}

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

void TemplateFlags::add(CLI::App* c) {
  c->add_option("--quota", quota, "default mailbox quota (e.g. 2G)");
  c->add_option("--services", services, "e.g. imap,smtp,-pop3,forwarding,-tokens");
  c->add_option("--folders", folders, "comma-separated default folders");
  c->add_option("--language", language);
  c->add_option("--autoresponder-text", autoresponder);
}

base::Result<d::TemplateSettings> TemplateFlags::apply(d::TemplateSettings s) const {
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

void Verbs::lifecycle(CLI::App* noun, const std::string& what, const char* arg, Lifecycle del,
                      Lifecycle restore, Lifecycle purge) const {
  struct Step {
    const char* verb;
    Lifecycle fn;
    const char* done;
  };
  for (const Step& s : {Step{"delete", del, "deleted (restorable until purged)"},
                        Step{"restore", restore, "restored"}, Step{"purge", purge, "purged"}}) {
    auto n = std::make_shared<std::string>();
    std::string msg = s.done;
    auto* v =
        add<std::string>(noun, s.verb, (std::string(s.verb) + " a " + what).c_str(), n,
                         [fn = s.fn, what, msg](Ctx& x, std::string& name) {
                           return x.done((x.svc.*fn)(x.actor, name), what + " " + name + " " + msg);
                         });
    v->add_option(arg, *n)->required();
  }
}

// ------------------------------------------------------------------ the command object

namespace {

class Commands final : public DirectoryCommands {
 public:
  explicit Commands(CLI::App& app) {
    app.add_option("--data", data_, "data directory (default ./var/dev)");
    app.add_option("--as", as_, "act as this login (default: platform admin)");
    app.add_flag("--json", json_, "print results as JSON");
    app.fallthrough();  // lets --json/--as/--data follow the noun and verb
    Verbs verbs(&action_);
    add_customer_commands(app, verbs);
    add_platform_commands(app, verbs);
    add_manager_commands(app, verbs);
    add_domain_commands(app, verbs);
    add_mailbox_commands(app, verbs);
    add_forward_commands(app, verbs);
    add_alias_commands(app, verbs);
    add_template_commands(app, verbs);
    add_delegation_commands(app, verbs);
    add_audit_commands(app, verbs);
    add_password_commands(app, verbs);
  }
  bool selected() const override { return static_cast<bool>(action_); }
  const std::string& data_dir() const override { return data_; }
  bool json_output() const override { return json_; }
  const std::string& as_login() const override { return as_; }

  int run() override {
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

 private:
  std::string data_ = "./var/dev";
  std::string as_;
  bool json_ = false;
  Action action_;
};

}  // namespace
}  // namespace directory_cli

std::unique_ptr<DirectoryCommands> register_directory_commands(CLI::App& app) {
  return std::make_unique<directory_cli::Commands>(app);
}

}  // namespace posthouse::app
