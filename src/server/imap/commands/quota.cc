#include <fmt/format.h>

#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

// QUOTA (RFC 9208): one root "" per account holding STORAGE (KiB) and MESSAGE. SETQUOTA is
// refused: limits are set by the account's administrators (directory), not by the user.
PH_IMAP_HANDLER(cmd_quota) {
  if (c.kind == codec::CommandKind::kSetQuota) {
    s.no(c, "Quota is set by the administrator", "NOPERM");
    co_return;
  }
  if (c.kind == codec::CommandKind::kGetQuota) {
    const auto& a = std::get<codec::QuotaRoot>(c.args);
    if (!a.root.empty()) {
      s.no(c, "No such quota root", "NONEXISTENT");
      co_return;
    }
  }
  std::optional<std::string> name;
  if (c.kind == codec::CommandKind::kGetQuotaRoot) {
    const auto& a = std::get<codec::MailboxArg>(c.args);
    auto n = s.store_name_or_fail(c, a.mailbox);
    if (!n) co_return;
    name = *n;
  }
  auto& mail = s.srv_.mail();
  auto mb = s.mailbox_;
  auto r = co_await s.blocking([&]() -> base::Result<store::Quota> {
    if (name) PH_TRY(mail.folder(mb, *name));
    return mail.quota(mb);
  });
  if (!r) {
    s.fail(c, r.error());
    co_return;
  }
  if (name) {
    std::string l = "QUOTAROOT ";
    s.append_mailbox(l, *name);
    l += " \"\"";
    s.untagged(l);
  }
  std::string res;
  if (r->limit_bytes) {
    res += fmt::format("STORAGE {} {}", (r->used_bytes + 1023) / 1024, *r->limit_bytes / 1024);
  }
  if (r->limit_messages) {
    if (!res.empty()) res += ' ';
    res += fmt::format("MESSAGE {} {}", r->used_messages, *r->limit_messages);
  }
  s.untagged("QUOTA \"\" (" + res + ")");
  s.ok(c, "GETQUOTA completed");
}

}  // namespace posthouse::server::imap
