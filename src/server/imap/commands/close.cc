#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

// CLOSE expunges silently (RFC 3501 6.4.2) unless read-only; UNSELECT (RFC 3691) never does.
PH_IMAP_HANDLER(cmd_close) {
  if (c.kind == codec::CommandKind::kClose && !s.read_only_) {
    auto& mail = s.srv_.mail();
    auto mb = s.mailbox_;
    auto f = s.folder_;
    auto r = co_await s.blocking([&] { return mail.expunge(mb, f, std::nullopt); });
    if (!r) {
      s.fail(c, r.error());
      co_return;
    }
  }
  s.close_folder();
  s.ok(c, c.kind == codec::CommandKind::kClose ? "CLOSE completed" : "UNSELECT completed");
}

}  // namespace posthouse::server::imap
