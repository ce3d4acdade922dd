// The admin CLI nouns of the directory: customer, manager, domain, mailbox, alias, forward,
// template, delegation, audit, password (`posthouse [--data DIR] [--as LOGIN] <noun> <verb>
// ... [--json]`). Every command goes through directory::Service, so through the same policy
// as the API. Without --as the CLI acts as the platform admin (whoever can run it can read the
// database file anyway).
//
// Exit codes: 0 success, 1 the operation failed (one line on stderr: "error: <message>", or a
// JSON object with --json), 2 usage (CLI11 parse errors, handled by run_cli).
// The database is <data>/posthouse.db, created and migrated on first use.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "directory/service.h"
#include "store/sqlite/db.h"
#include "store/sqlite/directory_store.h"

namespace CLI {
class App;
}

namespace posthouse::app {

// What an admin command runs with: <data>/posthouse.db (created and migrated), the directory
// service configured from <data>/posthouse.toml like the server's, and the actor: the login
// named by --as (through the same policy as the API), else the platform admin.
struct CliSession {
  std::unique_ptr<store::sqlite::Db> db;
  std::unique_ptr<store::sqlite::SqliteDirectoryStore> store;
  std::unique_ptr<directory::Service> svc;
  directory::Actor actor;
  std::string hostname = "localhost";  // [server] hostname, for `domain dns`
  std::string dkim_selector = "ph1";
};
// Errors: the database or --as login (exit 1); an invalid config file has field "config"
// (exit 2).
base::Result<std::unique_ptr<CliSession>> open_cli_session(const std::string& data_dir,
                                                           const std::string& as_login);

class DirectoryCommands {
 public:
  virtual ~DirectoryCommands() = default;
  // True when the parsed command line selected one of the directory commands.
  virtual bool selected() const = 0;
  // Runs the selected command; returns the process exit code.
  virtual int run() = 0;
  // The global --data value (default ./var/dev), also used by init and serve.
  virtual const std::string& data_dir() const = 0;
  virtual bool json_output() const = 0;
  // The global --as value ("" when absent: the platform admin).
  virtual const std::string& as_login() const = 0;
};

// Adds the global --data/--as/--json options and the directory nouns to app. Call before
// app.parse(); after parsing, run the returned object's command if selected().
std::unique_ptr<DirectoryCommands> register_directory_commands(CLI::App& app);

}  // namespace posthouse::app
