// SqliteMailStore: changes to existing messages on the writer: STORE (flags, MODSEQ,
// UNCHANGEDSINCE), EXPUNGE, COPY and MOVE.
#include <algorithm>

#include "store/sqlite/mail_store.h"
#include "store/sqlite/mail_store_internal.h"

namespace posthouse::store::sqlite {

namespace {

// The flags `op` makes of `cur`; `want` is normalized (sorted keywords).
Flags apply_flag_op(const Flags& cur, FlagOp op, const Flags& want) {
  Flags next = cur;
  if (op == FlagOp::kReplace) {
    next = want;
  } else if (op == FlagOp::kAdd) {
    next.system |= want.system;
    next.keywords.insert(next.keywords.end(), want.keywords.begin(), want.keywords.end());
    std::sort(next.keywords.begin(), next.keywords.end());
    next.keywords.erase(std::unique(next.keywords.begin(), next.keywords.end()),
                        next.keywords.end());
  } else {
    next.system &= ~want.system;
    std::erase_if(next.keywords, [&](const std::string& k) {
      return std::binary_search(want.keywords.begin(), want.keywords.end(), k);
    });
  }
  return next;
}

}  // namespace

base::Result<StoreFlagsResult> Impl::store_flags_op(BatchState& st, MailboxId mb, FolderId folder,
                                                    const UidSet& set, FlagOp op, const Flags& want,
                                                    std::optional<ModSeq> unchanged) {
  auto row = PH_TRY(folder_row(*writer, mb, folder));
  auto rows = PH_TRY(select_rows(*writer, folder, set));
  StoreFlagsResult out;
  ModSeq modseq = 0;
  Counts delta;
  for (const auto& r : rows) {
    if (unchanged && r.modseq > *unchanged) {
      out.modified.push_back(r.uid);
      continue;
    }
    Flags cur{r.flags, split_keywords(r.keywords)};
    Flags next = apply_flag_op(cur, op, want);
    if (next.keywords.size() > 100) return Error(Errc::kLimit, "too many keywords");
    if (next == cur) {
      out.updated.push_back({r.uid, r.modseq, cur, false});
      continue;
    }
    if (modseq == 0) modseq = PH_TRY(bump_folder(folder, 0)).first;
    PH_QUERY(u, *writer,
             "UPDATE mail_message SET flags = ?, keywords = ?, modseq = ? "
             "WHERE folder_id = ? AND uid = ?");
    u->bind_all(next.system, join_keywords(next.keywords), modseq, folder, r.uid);
    PH_CHECK(u->run());
    delta.add(r.flags, 0, -1);
    delta.add(next.system, 0, 1);
    out.updated.push_back({r.uid, modseq, std::move(next), true});
  }
  PH_CHECK(add_counts(folder, delta));
  out.highestmodseq = modseq ? modseq : row.highestmodseq;
  if (modseq) st.changes.push_back({mb, folder, Change::Kind::kFlags, 0, modseq});
  return out;
}

base::Result<CopyResult> Impl::copy_op(BatchState& st, MailboxId mb, FolderId from,
                                       const UidSet& set, FolderId to, bool move) {
  auto src = PH_TRY(folder_row(*writer, mb, from));
  auto dst = PH_TRY(folder_row(*writer, mb, to));
  auto rows = PH_TRY(select_rows(*writer, src.id, set));
  CopyResult out;
  out.dest_uidvalidity = dst.uidvalidity;
  if (rows.empty()) return out;
  int64_t bytes = 0;
  for (const auto& r : rows) bytes += static_cast<int64_t>(r.size);
  if (!move) PH_CHECK(quota_check(mb, bytes, rows.size()));
  auto [modseq, first] = PH_TRY(bump_folder(dst.id, static_cast<uint32_t>(rows.size())));
  Uid next = first;
  Counts added;
  for (const auto& r : rows) {
    added.add(r.flags, r.size, 1);
    MsgRow copy = r;
    copy.uid = next;
    copy.modseq = modseq;
    copy.savedate = 0;  // saved in the destination now (RFC 8514)
    PH_CHECK(insert_message(dst.id, copy));
    if (!move) {
      PH_QUERY(s, *writer, "UPDATE mail_blob SET refcount = refcount + 1 WHERE id = ?");
      s->bind(1, r.blob_id);
      PH_CHECK(s->run());
    }
    out.uids.emplace_back(r.uid, next++);
  }
  PH_CHECK(add_counts(dst.id, added));
  st.changes.push_back({mb, dst.id, Change::Kind::kAppend, next, modseq});
  if (move) {
    std::vector<Uid> gone;
    for (const auto& r : rows) gone.push_back(r.uid);
    PH_TRY(remove_rows(st, mb, src.id, gone, /*release=*/false));
  } else {
    PH_CHECK(add_usage(mb, bytes, static_cast<int64_t>(rows.size())));
  }
  return out;
}

base::Result<ExpungeResult> Impl::remove_rows(BatchState& st, MailboxId mb, FolderId folder,
                                              const std::vector<Uid>& uids, bool release) {
  ExpungeResult out;
  if (uids.empty()) return out;
  auto modseq = PH_TRY(bump_folder(folder, 0)).first;
  int64_t bytes = 0;
  Counts removed;
  for (Uid u : uids) {
    {
      PH_QUERY(s, *writer,
               "DELETE FROM mail_message WHERE folder_id = ? AND uid = ? RETURNING blob_id, "
               "size, flags");
      s->bind_all(folder, u);
      if (!PH_TRY(s->step())) continue;
      int64_t blob = 0;
      uint64_t size = 0;
      uint32_t flags = 0;
      Row(*s).into(blob, size, flags);
      bytes += static_cast<int64_t>(size);
      removed.add(flags, size, -1);
      s->reset();
      if (release) PH_CHECK(release_blob(st, blob));
    }
    PH_CHECK(record_expunged(folder, u, modseq));
    out.uids.push_back(u);
  }
  if (release) PH_CHECK(add_usage(mb, -bytes, -static_cast<int64_t>(out.uids.size())));
  PH_CHECK(add_counts(folder, removed));
  out.modseq = modseq;
  st.changes.push_back({mb, folder, Change::Kind::kExpunge, 0, modseq});
  return out;
}

// ---- public API

base::Result<StoreFlagsResult> SqliteMailStore::store_flags(MailboxId mb, FolderId folder,
                                                            const UidSet& set, FlagOp op,
                                                            const Flags& flags,
                                                            std::optional<ModSeq> unchanged) {
  Flags want = flags;
  PH_CHECK(normalize_flags(&want));
  Impl* i = impl_.get();
  return i->submit_sync<StoreFlagsResult>(
      [i, mb, folder, set, op, want, unchanged](BatchState& st) {
        return i->store_flags_op(st, mb, folder, set, op, want, unchanged);
      });
}

base::Result<ExpungeResult> SqliteMailStore::expunge(MailboxId mb, FolderId folder,
                                                     const std::optional<UidSet>& only) {
  Impl* i = impl_.get();
  return i->submit_sync<ExpungeResult>(
      [i, mb, folder, only](BatchState& st) -> base::Result<ExpungeResult> {
        auto row = PH_TRY(folder_row(*i->writer, mb, folder));
        auto rows = PH_TRY(select_rows(*i->writer, folder, only ? *only : all_uids()));
        std::vector<Uid> gone;
        for (const auto& r : rows) {
          if (r.flags & kDeleted) gone.push_back(r.uid);
        }
        auto res = PH_TRY(i->remove_rows(st, mb, folder, gone, /*release=*/true));
        if (gone.empty()) res.modseq = row.highestmodseq;
        return res;
      });
}

base::Result<CopyResult> SqliteMailStore::copy(MailboxId mb, FolderId from, const UidSet& set,
                                               FolderId to) {
  Impl* i = impl_.get();
  return i->submit_sync<CopyResult>(
      [i, mb, from, set, to](BatchState& st) { return i->copy_op(st, mb, from, set, to, false); });
}

base::Result<CopyResult> SqliteMailStore::move(MailboxId mb, FolderId from, const UidSet& set,
                                               FolderId to) {
  Impl* i = impl_.get();
  return i->submit_sync<CopyResult>(
      [i, mb, from, set, to](BatchState& st) { return i->copy_op(st, mb, from, set, to, true); });
}

}  // namespace posthouse::store::sqlite
