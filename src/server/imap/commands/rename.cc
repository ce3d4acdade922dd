#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

PH_IMAP_HANDLER(cmd_rename) {
  const auto& a = std::get<codec::Rename>(c.args);
  auto from = s.store_name_or_fail(c, a.from);
  if (!from) co_return;
  auto to = s.store_name_or_fail(c, a.to);
  if (!to) co_return;
  auto& mail = s.srv_.mail();
  auto mb = s.mailbox_;
  auto r = co_await s.blocking([&]() -> base::Status {
    auto f = PH_TRY(mail.folder(mb, *from));
    return mail.rename_folder(mb, f.id, *to);
  });
  if (!r) {
    base::Error e = r.error();
    if (e.code == base::Errc::kConflict) e.field = "mailbox";
    s.fail(c, e);
    co_return;
  }
  s.ok(c, "RENAME completed");
}

}  // namespace posthouse::server::imap
