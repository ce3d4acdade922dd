#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/cli_backup.h"
#include "app/cli_dkim.h"
#include "app/cli_spf.h"
#include "app/cli_dmarc.h"
#include "app/cli_directory.h"
#include "app/cli_queue.h"
#include "app/cli_spam.h"
#include "app/commands.h"

namespace posthouse::app {

int run_cli(int argc, char** argv) {
  CLI::App app{"Posthouse: a complete email server with delegated administration"};
  app.set_version_flag("--version", std::string("posthouse ") + POSTHOUSE_VERSION);
  app.require_subcommand(1);
  // Adds the global --data/--as/--json options (with fallthrough, so they may follow the
  // subcommand) and the directory nouns.
  auto directory = register_directory_commands(app);
  QueueCommands queue(app, *directory);
  BackupCommands backup(app, *directory);
  DkimCommands dkim(app);
  SpfCommand spf(app);
  DmarcReportCommand dmarc_report(app, *directory);
  SpamScanCommand spam_scan(app);

  InitOptions init;
  auto* init_cmd = app.add_subcommand("init", "create a data dir: config, TLS certificate, database");
  init_cmd->add_option("--hostname", init.hostname, "the server's host name")->capture_default_str();
  init_cmd->add_flag("--force", init.force, "overwrite an existing data dir");

  ServeOptions serve;
  std::string log_format = "text";
  auto* serve_cmd = app.add_subcommand("serve", "run every configured listener");
  serve_cmd->add_option("--config", serve.config_path, "config file (default DATA/posthouse.toml)");
  serve_cmd->add_option("--log-format", log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));

  bool repair = false;
  auto* check_cmd = app.add_subcommand(
      "check", "verify the message store (metadata, blobs, quota, reference counts)");
  check_cmd->add_flag("--repair", repair, "fix what can be fixed (stop the server first)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // usage errors exit 2 (cli.h)
  }
  if (*init_cmd) {
    init.data_dir = directory->data_dir();
    return cmd_init(init);
  }
  if (*serve_cmd) {
    if (serve.config_path.empty()) serve.data_dir = directory->data_dir();
    serve.log_json = log_format == "json";
    return cmd_serve(serve);
  }
  if (*check_cmd) return cmd_check(directory->data_dir(), repair);
  if (directory->selected()) return directory->run();
  if (queue.selected()) return queue.run();
  if (backup.selected()) return backup.run();
  if (dkim.selected()) return dkim.run();
  if (spf.selected()) return spf.run();
  if (dmarc_report.selected()) return dmarc_report.run();
  if (spam_scan.selected()) return spam_scan.run();
  return 2;
}

}  // namespace posthouse::app
