#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

// NOOP, and CHECK (RFC 3501 6.4.1: every change is durable already, so CHECK is a NOOP).
PH_IMAP_HANDLER(cmd_noop) {
  s.ok(c, "NOOP completed");
  co_return;
}

PH_IMAP_HANDLER(cmd_check) {
  s.ok(c, "CHECK completed");
  co_return;
}

}  // namespace posthouse::server::imap
