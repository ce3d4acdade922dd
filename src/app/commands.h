// `posthouse init`, `check` and `serve` (serve.cc): the composition root that builds every part from the
// config. Each returns the process exit code (0 ok, 1 failed, 2 usage/config error).
#pragma once

#include <string>

#include "app/options.h"

namespace posthouse::app {

// Prints "posthouse: msg" on stderr and returns code (for `return fail(1, ...)`).
int fail(int code, const std::string& msg);

struct InitOptions {
  std::string data_dir;
  std::string hostname = "localhost";
  bool force = false;
};
int cmd_init(const InitOptions& o);

// `posthouse check [--repair]`: the message store's consistency check (metadata, blobs,
// quota, reference counts). Exit 0 when consistent (or repaired), 1 otherwise.
int cmd_check(const std::string& data_dir, bool repair);

struct ServeOptions {
  std::string data_dir;     // either this…
  std::string config_path;  // …or this
  bool log_json = false;
};
int cmd_serve(const ServeOptions& o);

}  // namespace posthouse::app
