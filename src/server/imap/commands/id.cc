#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

// RFC 2971: the client's fields are not logged (they may identify a person); we answer with
// the server's name only.
PH_IMAP_HANDLER(cmd_id) {
  s.untagged("ID (\"name\" \"Posthouse\" \"vendor\" \"Posthouse\")");
  s.ok(c, "ID completed");
  co_return;
}

}  // namespace posthouse::server::imap
