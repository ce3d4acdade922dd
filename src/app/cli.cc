#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace posthouse::app {

int run_cli(int argc, char** argv) {
  CLI::App app{"Posthouse: a complete email server with delegated administration"};
  app.set_version_flag("--version", std::string("posthouse ") + POSTHOUSE_VERSION);
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}

}  // namespace posthouse::app
