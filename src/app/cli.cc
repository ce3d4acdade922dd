#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/cli_directory.h"

namespace posthouse::app {

int run_cli(int argc, char** argv) {
  CLI::App app{"Posthouse: a complete email server with delegated administration"};
  app.set_version_flag("--version", std::string("posthouse ") + POSTHOUSE_VERSION);
  app.require_subcommand(1);
  auto directory = register_directory_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // usage errors exit 2 (cli.h)
  }
  if (directory->selected()) return directory->run();
  return 0;
}

}  // namespace posthouse::app
