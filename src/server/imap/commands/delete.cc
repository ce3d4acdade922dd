#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

PH_IMAP_HANDLER(cmd_delete) {
  const auto& a = std::get<codec::MailboxArg>(c.args);
  auto name = s.store_name_or_fail(c, a.mailbox);
  if (!name) co_return;
  if (*name == "INBOX") {
    s.no(c, "INBOX cannot be deleted", "CANNOT");
    co_return;
  }
  auto& mail = s.srv_.mail();
  auto mb = s.mailbox_;
  auto r = co_await s.blocking([&]() -> base::Status {
    auto f = PH_TRY(mail.folder(mb, *name));
    return mail.delete_folder(mb, f.id);
  });
  if (!r) {
    s.fail(c, r.error());
    co_return;
  }
  if (s.selected() && s.folder_name_ == *name) s.close_folder();
  s.ok(c, "DELETE completed");
}

}  // namespace posthouse::server::imap
