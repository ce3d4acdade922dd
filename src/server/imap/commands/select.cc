#include <fmt/format.h>

#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

// SELECT / EXAMINE with CONDSTORE and QRESYNC (RFC 7162 3.2.5): with QRESYNC and a matching
// UIDVALIDITY, VANISHED (EARLIER) and FETCH FLAGS report what changed since the client's modseq.
PH_IMAP_HANDLER(cmd_select) {
  const auto& a = std::get<codec::Select>(c.args);
  bool examine = c.kind == codec::CommandKind::kExamine;
  if (a.qresync && !s.qresync_) {
    s.bad(c, "QRESYNC is not enabled");
    co_return;
  }
  bool was_selected = s.selected();
  s.close_folder();
  if (was_selected && (s.condstore_ || s.qresync_)) {
    s.untagged("OK [CLOSED] Previous mailbox is now closed");
  }
  auto name = s.store_name_or_fail(c, a.mailbox);
  if (!name) co_return;
  if (a.condstore) s.condstore_ = true;
  auto& mail = s.srv_.mail();
  auto mb = s.mailbox_;
  struct Opened {
    store::FolderInfo info;
    store::FolderStatus st;
    std::vector<store::Uid> uids;
    std::vector<store::Uid> vanished;
    std::vector<store::MessageMeta> changed;
  };
  std::optional<codec::Select::Qresync> q = a.qresync;
  auto r = co_await s.blocking([&]() -> base::Result<Opened> {
    Opened o;
    o.info = PH_TRY(mail.folder(mb, *name));
    o.st = PH_TRY(mail.status(mb, o.info.id));
    o.uids = PH_TRY(mail.uids(mb, o.info.id));
    if (q && q->uidvalidity == o.st.uidvalidity && q->modseq < o.st.highestmodseq) {
      o.vanished = PH_TRY(mail.expunged_since(mb, o.info.id, q->modseq));
      store::FetchOptions fo;
      fo.flags_only = true;
      fo.changed_since = q->modseq;
      o.changed = PH_TRY(mail.fetch(mb, o.info.id, store::all_uids(), fo));
    }
    return o;
  });
  if (!r) {
    s.fail(c, r.error());
    co_return;
  }
  s.state_ = State::kSelected;
  s.folder_ = r->info.id;
  s.folder_name_ = r->info.name;
  s.read_only_ = examine;
  s.uidvalidity_ = r->st.uidvalidity;
  s.uidnext_ = r->st.uidnext;
  s.known_modseq_ = r->st.highestmodseq;
  s.uids_ = std::move(r->uids);
  if (!s.uids_.empty() && s.uids_.back() >= s.uidnext_) s.uidnext_ = s.uids_.back() + 1;

  s.untagged(fmt::format("{} EXISTS", s.uids_.size()));
  s.recent_.clear();
  if (!s.rev2_) {
    // SELECT takes the folder's new messages as recent for this session; EXAMINE shows them
    // as recent without taking them (RFC 3501 6.3.2: the \Recent flag is not lost).
    store::Uid top = s.uids_.empty() ? 0 : s.uids_.back();
    if (examine) {
      store::Uid mark = s.srv_.recent_mark(s.folder_);
      if (top > mark) s.recent_.push_back(store::UidRange{mark + 1, top});
    } else {
      s.claim_recent(top);
    }
    s.untagged(fmt::format("{} RECENT", s.recent_count()));
  }
  s.untagged("FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)");
  s.untagged(
      "OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted");
  if (r->st.first_unseen_uid != 0 && !s.rev2_ && !s.uidonly_) {
    if (uint32_t seq = s.seq_of(r->st.first_unseen_uid); seq != 0) {
      s.untagged(fmt::format("OK [UNSEEN {}] First unseen", seq));
    }
  }
  s.untagged(fmt::format("OK [UIDVALIDITY {}] UIDs valid", s.uidvalidity_));
  s.untagged(fmt::format("OK [MAILBOXID ({})] Ok", mailbox_object_id(s.folder_, s.uidvalidity_)));
  s.untagged(fmt::format("OK [UIDNEXT {}] Predicted next UID", s.uidnext_));
  s.untagged(fmt::format("OK [HIGHESTMODSEQ {}] Highest", s.known_modseq_));
  if (s.rev2_) {
    std::string l = "LIST () \"/\" ";
    s.append_mailbox(l, s.folder_name_);
    s.untagged(l);
  }
  if (!r->vanished.empty()) {
    std::vector<store::Uid> v;
    for (auto u : r->vanished) {
      if (!q->known_uids || q->known_uids->contains(u, s.uids_.empty() ? u : s.uids_.back())) {
        v.push_back(u);
      }
    }
    if (!v.empty()) {
      codec::SequenceSet set;
      for (const auto& rg : Session::to_uidset(v)) set.ranges.push_back({rg.first, rg.last});
      s.untagged("VANISHED (EARLIER) " + codec::format_sequence_set(set));
    }
  }
  std::string line;
  for (const auto& m : r->changed) {
    line = s.fetch_open(s.seq_of(m.uid), m.uid);
    if (s.uid_item_allowed()) line += fmt::format("UID {} ", m.uid);
    line += "FLAGS ";
    s.append_flags(line, m.flags, m.uid);
    line += fmt::format(" MODSEQ ({}))", m.modseq);
    s.untagged(line);
  }
  s.ok(c, examine ? "EXAMINE completed" : "SELECT completed", examine ? "READ-ONLY" : "READ-WRITE");
}

}  // namespace posthouse::server::imap
