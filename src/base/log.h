// Logging on spdlog. init_logging() once at start (before threads); then use the spdlog macros
// or base::log(). Text to stderr by default; JSON lines with `--log-format json`.
// Contract: never pass a secret (password, token, session id) to a log call.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace posthouse::base {

enum class LogFormat { kText, kJson };

// level: "trace", "debug", "info", "warn", "error". Unknown names fall back to info.
void init_logging(LogFormat format, std::string_view level = "info");

}  // namespace posthouse::base
