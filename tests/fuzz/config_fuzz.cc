// libFuzzer target: the TOML config parser (config::parse) never crashes on any input and
// either returns a config whose values are inside their documented ranges or an error that
// names the file (every message starts with "<file>:").
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.h"

using namespace posthouse;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto c = config::parse(text, "/fuzz/posthouse.toml");
  if (!c.ok()) {
    if (c.error().message.rfind("/fuzz/posthouse.toml", 0) != 0) __builtin_trap();
    return 0;
  }
  if (c->limits.max_connections < 1 || c->limits.max_line_bytes < 1) __builtin_trap();
  if (c->imap.append_limit < 1024 || c->smtp.max_recipients < 1) __builtin_trap();
  if (c->server.data_dir.empty() || c->server.data_dir[0] != '/') __builtin_trap();
  for (const auto& e : c->listen.smtp) (void)e.to_string();
  return 0;
}
