// `posthouse init` and `posthouse serve`: the composition root that builds every part from the
// config. Each returns the process exit code (0 ok, 1 failed, 2 usage/config error).
#pragma once

#include <string>

#include "auth/password.h"
#include "config/config.h"
#include "directory/service.h"

namespace posthouse::app {

// Directory settings from the config file ([directory] keys).
auth::PasswordOptions password_options(const config::Config& cfg);
directory::Options directory_options(const config::Config& cfg);

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
