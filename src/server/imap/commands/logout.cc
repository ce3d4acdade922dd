#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

PH_IMAP_HANDLER(cmd_logout) {
  codec::append_status(s.out_, codec::Cond::kBye, "", "Logging out");
  s.ok(c, "LOGOUT completed");
  s.close_folder();
  s.state_ = State::kLogout;
  co_return;
}

}  // namespace posthouse::server::imap
