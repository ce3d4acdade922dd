#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

PH_IMAP_HANDLER(cmd_subscribe) {
  const auto& a = std::get<codec::MailboxArg>(c.args);
  bool on = c.kind == codec::CommandKind::kSubscribe;
  auto name = s.store_name_or_fail(c, a.mailbox);
  if (!name) co_return;
  auto& mail = s.srv_.mail();
  auto mb = s.mailbox_;
  auto r = co_await s.blocking([&]() -> base::Status {
    auto f = mail.folder(mb, *name);
    // RFC 3501 6.3.7: unsubscribing a name that no longer exists is not an error.
    if (!f && !on && f.error().code == base::Errc::kNotFound) return {};
    if (!f) return f.error();
    return mail.set_subscribed(mb, f->id, on);
  });
  if (!r) {
    s.fail(c, r.error());
    co_return;
  }
  s.ok(c, on ? "SUBSCRIBE completed" : "UNSUBSCRIBE completed");
}

}  // namespace posthouse::server::imap
