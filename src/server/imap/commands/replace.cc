#include <fmt/format.h>

#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

// REPLACE / UID REPLACE (RFC 8508): appends the new message to the named mailbox and expunges
// the old one from the selected mailbox in one store transaction, so a failure (no such
// mailbox, over quota, too large) leaves the old message where it was. Replies with
// APPENDUID in an untagged OK, then the old message's EXPUNGE (VANISHED under QRESYNC or
// UIDONLY).
PH_IMAP_HANDLER(cmd_replace) {
  const auto& a = std::get<codec::Replace>(c.args);
  if (s.read_only_) {
    s.no(c, "Mailbox is read-only", "READ-ONLY");
    co_return;
  }
  store::Uid old = 0;
  if (c.uid) {
    if (std::binary_search(s.uids_.begin(), s.uids_.end(), a.target)) old = a.target;
  } else if (a.target <= s.uids_.size()) {
    old = s.uids_[a.target - 1];
  } else {
    s.bad(c, "Invalid message sequence number");
    co_return;
  }
  if (old == 0) {
    s.no(c, "The message to replace does not exist", "NONEXISTENT");
    co_return;
  }
  auto item = append_item(s, c, a.message);
  if (!item) co_return;
  auto name = s.store_name_or_fail(c, a.mailbox);
  if (!name) co_return;
  auto& mail = s.srv_.mail();
  auto mb = s.mailbox_;
  store::ReplaceOf of{s.folder_, old};
  auto r = co_await s.blocking([&]() -> base::Result<store::AppendManyResult> {
    auto f = PH_TRY(s.target_folder(*name));
    std::vector<store::AppendItem> items;
    items.push_back(std::move(*item));
    return mail.append_many(mb, f.id, std::move(items), of);
  });
  if (!r) {
    s.fail(c, r.error());
    co_return;
  }
  const auto& ap = r->appended.front();
  s.untagged(fmt::format("OK [APPENDUID {} {}] Replacement message ready", ap.uidvalidity,
                         ap.uid));
  s.report_expunged(r->replaced.uids);
  s.ok(c, "REPLACE completed");
}

}  // namespace posthouse::server::imap
