#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

PH_IMAP_HANDLER(cmd_namespace) {
  s.untagged("NAMESPACE ((\"\" \"/\")) NIL NIL");
  s.ok(c, "NAMESPACE completed");
  co_return;
}

}  // namespace posthouse::server::imap
