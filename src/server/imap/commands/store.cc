#include <fmt/format.h>

#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

// STORE / UID STORE with .SILENT and UNCHANGEDSINCE (RFC 7162 3.1.3: [MODIFIED set]).
PH_IMAP_HANDLER(cmd_store) {
  const auto& a = std::get<codec::Store>(c.args);
  if (s.read_only_) {
    s.no(c, "Mailbox is read-only", "READ-ONLY");
    co_return;
  }
  auto flags = Session::parse_flags(a.flags);
  if (!flags) {
    s.fail(c, flags.error());
    co_return;
  }
  if (a.unchanged_since) s.condstore_ = true;
  auto uids = s.resolve(a.set, c.uid);
  if (uids.empty()) {
    s.ok(c, "STORE completed");
    co_return;
  }
  store::FlagOp op = a.mode == codec::Store::Mode::kAdd      ? store::FlagOp::kAdd
                     : a.mode == codec::Store::Mode::kRemove ? store::FlagOp::kRemove
                                                             : store::FlagOp::kReplace;
  auto& mail = s.srv_.mail();
  auto mb = s.mailbox_;
  auto f = s.folder_;
  auto set = Session::to_uidset(uids);
  auto since = a.unchanged_since;
  store::ModSeq before = s.known_modseq_;
  auto r = co_await s.blocking([&] { return mail.store_flags(mb, f, set, op, *flags, since); });
  if (!r) {
    s.fail(c, r.error());
    co_return;
  }
  s.own_change(before, r->highestmodseq);
  std::string line;
  for (const auto& u : r->updated) {
    // RFC 7162 3.1.3: with UNCHANGEDSINCE, FETCH is sent even when .SILENT.
    if (a.silent && !(since && u.changed)) continue;
    uint32_t seq = s.seq_of(u.uid);
    if (seq == 0) continue;
    line = s.fetch_open(seq, u.uid);
    if (c.uid && s.uid_item_allowed()) line += fmt::format("UID {} ", u.uid);
    if (a.silent) {
      line += fmt::format("MODSEQ ({}))", u.modseq);
      s.untagged(line);
      continue;
    }
    line += "FLAGS ";
    s.append_flags(line, u.flags, u.uid);
    if (s.condstore_) line += fmt::format(" MODSEQ ({})", u.modseq);
    line += ')';
    s.untagged(line);
  }
  if (!r->modified.empty()) {
    codec::SequenceSet ms;
    for (auto u : r->modified) {
      uint32_t n = c.uid ? u : s.seq_of(u);
      if (n != 0) ms.ranges.push_back({n, n});
    }
    s.ok(c, "Some messages were modified", "MODIFIED " + codec::format_sequence_set(ms));
    co_return;
  }
  s.ok(c, "STORE completed");
}

}  // namespace posthouse::server::imap
