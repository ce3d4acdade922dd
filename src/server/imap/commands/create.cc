#include "base/strings.h"
#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

// CREATE with CREATE-SPECIAL-USE (RFC 6154 3): one attribute at most.
PH_IMAP_HANDLER(cmd_create) {
  const auto& a = std::get<codec::MailboxArg>(c.args);
  std::string_view wire = a.mailbox;
  if (!wire.empty() && wire.back() == '/') wire.remove_suffix(1);  // RFC 3501 6.3.3
  auto name = s.store_name_or_fail(c, wire);
  if (!name) co_return;
  std::string use;
  if (a.special_use.size() > 1) {
    s.no(c, "One special-use attribute per mailbox", "USEATTR");
    co_return;
  }
  if (!a.special_use.empty()) {
    static constexpr std::string_view kUses[] = {"\\All",  "\\Archive", "\\Drafts", "\\Flagged",
                                                 "\\Junk", "\\Sent",    "\\Trash"};
    for (auto u : kUses) {
      if (base::iequals(u, a.special_use[0])) use = std::string(u);
    }
    if (use.empty()) {
      s.no(c, "Unsupported special-use attribute", "USEATTR");
      co_return;
    }
  }
  auto& mail = s.srv_.mail();
  auto mb = s.mailbox_;
  auto r = co_await s.blocking([&] { return mail.create_folder(mb, *name, use); });
  if (!r) {
    base::Error e = r.error();
    if (e.code == base::Errc::kConflict) e.field = "mailbox";
    s.fail(c, e);
    co_return;
  }
  s.ok(c, "CREATE completed", "MAILBOXID (" + mailbox_object_id(r->id, r->uidvalidity) + ")");
}

}  // namespace posthouse::server::imap
