#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

// EXPUNGE and UID EXPUNGE (RFC 4315 2.1).
PH_IMAP_HANDLER(cmd_expunge) {
  if (s.read_only_) {
    s.no(c, "Mailbox is read-only", "READ-ONLY");
    co_return;
  }
  const auto& a = std::get<codec::Expunge>(c.args);
  std::optional<store::UidSet> only;
  if (a.uids) {
    auto uids = s.resolve(*a.uids, true);
    if (uids.empty()) {
      s.ok(c, "EXPUNGE completed");
      co_return;
    }
    only = Session::to_uidset(uids);
  }
  auto& mail = s.srv_.mail();
  auto mb = s.mailbox_;
  auto f = s.folder_;
  auto r = co_await s.blocking([&] { return mail.expunge(mb, f, only); });
  if (!r) {
    s.fail(c, r.error());
    co_return;
  }
  s.report_expunged(r->uids);
  std::string code;
  if (s.condstore_ && r->modseq != 0) code = "HIGHESTMODSEQ " + std::to_string(r->modseq);
  s.ok(c, "EXPUNGE completed", code);
}

}  // namespace posthouse::server::imap
