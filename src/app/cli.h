// The `posthouse` command line: init, serve, and the admin nouns. Returns the process exit code:
// 0 success, 1 operation failed, 2 usage or configuration error.
#pragma once

namespace posthouse::app {

int run_cli(int argc, char** argv);

}  // namespace posthouse::app
