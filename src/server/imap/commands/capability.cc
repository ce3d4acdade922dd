#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

PH_IMAP_HANDLER(cmd_capability) {
  s.untagged("CAPABILITY " + capabilities(s));
  s.ok(c, "CAPABILITY completed");
  co_return;
}

}  // namespace posthouse::server::imap
