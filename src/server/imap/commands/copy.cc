#include <fmt/format.h>

#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

namespace {
std::string uid_list(const std::vector<store::Uid>& uids) {
  codec::SequenceSet set;
  for (const auto& r : Session::to_uidset(uids)) set.ranges.push_back({r.first, r.last});
  return codec::format_sequence_set(set);
}
}  // namespace

// COPY and MOVE (RFC 6851) with COPYUID (RFC 4315). MOVE reports COPYUID in an untagged OK
// before the expunges, as RFC 6851 3.3 asks.
PH_IMAP_HANDLER(cmd_copy) {
  const auto& a = std::get<codec::CopyMove>(c.args);
  bool move = c.kind == codec::CommandKind::kMove;
  if (move && s.read_only_) {
    s.no(c, "Mailbox is read-only", "READ-ONLY");
    co_return;
  }
  auto name = s.store_name_or_fail(c, a.mailbox);
  if (!name) co_return;
  auto uids = s.resolve(a.set, c.uid);
  auto& mail = s.srv_.mail();
  auto mb = s.mailbox_;
  auto from = s.folder_;
  auto set = Session::to_uidset(uids);
  auto r = co_await s.blocking([&]() -> base::Result<store::CopyResult> {
    auto to = PH_TRY(s.target_folder(*name));
    if (set.empty()) return store::CopyResult{to.uidvalidity, {}};
    return move ? mail.move(mb, from, set, to.id) : mail.copy(mb, from, set, to.id);
  });
  if (!r) {
    s.fail(c, r.error());
    co_return;
  }
  std::string code;
  if (!r->uids.empty()) {
    std::vector<store::Uid> src, dst;
    for (auto [x, y] : r->uids) {
      src.push_back(x);
      dst.push_back(y);
    }
    code = fmt::format("COPYUID {} {} {}", r->dest_uidvalidity, uid_list(src), uid_list(dst));
  }
  if (move) {
    if (!code.empty()) s.untagged("OK [" + code + "] Moved");
    std::vector<store::Uid> src;
    for (auto [x, y] : r->uids) src.push_back(x);
    s.report_expunged(src);
    s.ok(c, "MOVE completed");
    co_return;
  }
  s.ok(c, "COPY completed", code);
}

}  // namespace posthouse::server::imap
