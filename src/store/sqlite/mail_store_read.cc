// SqliteMailStore: message reads on the reader connections (UIDs, FETCH metadata by UID or
// sequence range, VANISHED, body bytes), and the message and folder lookups the writer
// shares with them.
#include <algorithm>
#include <map>

#include "store/sqlite/mail_store.h"
#include "store/sqlite/mail_store_internal.h"

namespace posthouse::store::sqlite {

namespace mail_internal {

base::Status check_folder(Conn& c, MailboxId mb, FolderId folder) {
  PH_QUERY(s, c, "SELECT 1 FROM mail_folder WHERE id = ? AND mailbox_id = ?");
  s->bind_all(folder, mb);
  if (!PH_TRY(s->step())) return Error(Errc::kNotFound, "no such folder");
  return {};
}

base::Result<FolderRow> folder_row(Conn& c, MailboxId mb, FolderId folder) {
  PH_QUERY(s, c,
           "SELECT id, name, uidvalidity, uidnext, highestmodseq FROM mail_folder "
           "WHERE id = ? AND mailbox_id = ?");
  s->bind_all(folder, mb);
  if (!PH_TRY(s->step())) return Error(Errc::kNotFound, "no such folder");
  FolderRow r;
  Row(*s).into(r.id, r.name, r.uidvalidity, r.uidnext, r.highestmodseq);
  return r;
}

base::Result<std::vector<MsgRow>> select_rows(Conn& c, FolderId folder, const UidSet& set) {
  std::map<Uid, MsgRow> rows;
  PH_QUERY(s, c,
           "SELECT uid, modseq, flags, keywords, internaldate, coalesce(savedate, internaldate), "
           "size, blob_id FROM mail_message "
           "WHERE folder_id = ? AND uid BETWEEN ? AND ? ORDER BY uid");
  for (const auto& r : set) {
    s->reset();
    s->bind_all(folder, r.first, r.last);
    while (PH_TRY(s->step())) {
      MsgRow m;
      Row(*s).into(m.uid, m.modseq, m.flags, m.keywords, m.internaldate, m.savedate, m.size,
                   m.blob_id);
      rows.emplace(m.uid, std::move(m));
    }
  }
  std::vector<MsgRow> out;
  out.reserve(rows.size());
  for (auto& [u, m] : rows) out.push_back(std::move(m));
  return out;
}

}  // namespace mail_internal

namespace {

// The columns meta_from() reads, in order.
#define PH_FETCH_COLS                                                                         \
  "m.uid, m.modseq, m.flags, m.keywords, m.internaldate, coalesce(m.savedate, m.internaldate), " \
  "m.size, b.sha256, b.header_size, "                                                         \
  "b.envelope, b.bodystructure, b.body, b.part_map, b.subject, b.base_subject, b.from_text, " \
  "b.to_text, b.cc_text, b.bcc_text, b.sort_from, b.sort_to, b.sort_cc, b.message_id, "       \
  "b.in_reply_to, b.refs, b.sent_date"

HeaderInfo headers_from(Row& r) {
  HeaderInfo h;
  r.into(h.subject, h.base_subject, h.from, h.to, h.cc, h.bcc, h.sort_from, h.sort_to, h.sort_cc,
         h.message_id, h.in_reply_to);
  h.references = split_keywords(r.text());
  h.date = r.opt_i64();
  return h;
}

MessageMeta meta_from(const Stmt& s, const FetchOptions& o) {
  MessageMeta m;
  Row r(s);
  r.into(m.uid, m.modseq, m.flags.system);
  m.flags.keywords = split_keywords(r.text());
  r.into(m.internaldate, m.savedate, m.size);
  if (o.flags_only) return m;
  r.into(m.blob, m.header_size);
  if (o.structure) {
    r.into(m.envelope, m.bodystructure, m.body, m.part_map);
  } else {
    r.skip(4);
  }
  if (o.headers) m.headers = headers_from(r);
  return m;
}

// Reads `n` bytes at `offset` of an inline body with incremental blob I/O: only the requested
// range, not the whole body.
base::Result<std::string> read_inline(Conn& c, int64_t blob_id, uint64_t offset, uint64_t n) {
  sqlite3_blob* h = nullptr;
  int rc = sqlite3_blob_open(c.db().raw(), "main", "mail_blob_data", "data", blob_id, 0, &h);
  if (rc != SQLITE_OK) {
    if (h) sqlite3_blob_close(h);
    return Error(Errc::kNotFound, "message body gone");
  }
  std::string out(n, '\0');
  rc = sqlite3_blob_read(h, out.data(), static_cast<int>(n), static_cast<int>(offset));
  sqlite3_blob_close(h);
  if (rc != SQLITE_OK) return c.db().error_from(rc, "blob read");
  return out;
}

}  // namespace

base::Result<std::vector<Uid>> SqliteMailStore::uids(MailboxId mb, FolderId folder) {
  auto lease = PH_TRY(impl_->reader());
  PH_CHECK(check_folder(*lease, mb, folder));
  PH_QUERY(s, *lease, "SELECT uid FROM mail_message WHERE folder_id = ? ORDER BY uid");
  s->bind(1, folder);
  std::vector<Uid> out;
  while (PH_TRY(s->step())) out.push_back(static_cast<Uid>(s->col_int(0)));
  return out;
}

base::Result<std::vector<MessageMeta>> SqliteMailStore::fetch(MailboxId mb, FolderId folder,
                                                              const UidSet& set,
                                                              const FetchOptions& opts) {
  auto lease = PH_TRY(impl_->reader());
  PH_CHECK(check_folder(*lease, mb, folder));
  PH_QUERY(s, *lease,
           opts.flags_only
               ? "SELECT m.uid, m.modseq, m.flags, m.keywords, m.internaldate, "
                 "coalesce(m.savedate, m.internaldate), m.size FROM "
                 "mail_message m WHERE m.folder_id = ? AND m.uid BETWEEN ? AND ? AND m.modseq > ? "
                 "ORDER BY m.uid"
               : "SELECT " PH_FETCH_COLS
                 " FROM mail_message m JOIN mail_blob b ON b.id = m.blob_id WHERE m.folder_id = ? "
                 "AND m.uid BETWEEN ? AND ? AND m.modseq > ? ORDER BY m.uid");
  auto run = [&](const UidRange& r, auto&& emit) -> base::Status {
    s->reset();
    s->bind_all(folder, r.first, r.last, opts.changed_since.value_or(0));
    while (PH_TRY(s->step())) emit();
    return {};
  };
  std::vector<MessageMeta> out;
  if (set.size() == 1) {  // the common "1:*" or single range: already ascending and unique
    PH_CHECK(run(set[0], [&] { out.push_back(meta_from(*s, opts)); }));
    return out;
  }
  std::map<Uid, MessageMeta> rows;
  for (const auto& r : set) {
    PH_CHECK(run(r, [&] {
      Uid u = static_cast<Uid>(s->col_int(0));
      if (!rows.count(u)) rows.emplace(u, meta_from(*s, opts));
    }));
  }
  out.reserve(rows.size());
  for (auto& [u, m] : rows) out.push_back(std::move(m));
  return out;
}

base::Result<std::vector<MessageMeta>> SqliteMailStore::fetch_seq(MailboxId mb, FolderId folder,
                                                                  uint32_t first, uint32_t last,
                                                                  const FetchOptions& opts) {
  if (first == 0 || last < first) return Error(Errc::kInvalid, "bad sequence range");
  auto lease = PH_TRY(impl_->reader());
  PH_CHECK(check_folder(*lease, mb, folder));
  PH_QUERY(s, *lease,
           "SELECT " PH_FETCH_COLS
           " FROM mail_message m JOIN mail_blob b ON b.id = m.blob_id WHERE m.folder_id = ? "
           "ORDER BY m.uid LIMIT ? OFFSET ?");
  s->bind_all(folder, static_cast<int64_t>(last) - first + 1, static_cast<int64_t>(first) - 1);
  std::vector<MessageMeta> out;
  while (PH_TRY(s->step())) {
    if (opts.changed_since && static_cast<ModSeq>(s->col_int(1)) <= *opts.changed_since) continue;
    out.push_back(meta_from(*s, opts));
  }
  return out;
}

base::Result<std::vector<Uid>> SqliteMailStore::expunged_since(MailboxId mb, FolderId folder,
                                                               ModSeq since) {
  auto lease = PH_TRY(impl_->reader());
  PH_CHECK(check_folder(*lease, mb, folder));
  PH_QUERY(s, *lease,
           "SELECT uid FROM mail_expunged WHERE folder_id = ? AND modseq > ? ORDER BY uid");
  s->bind_all(folder, since);
  std::vector<Uid> out;
  while (PH_TRY(s->step())) out.push_back(static_cast<Uid>(s->col_int(0)));
  return out;
}

base::Result<std::string> SqliteMailStore::read(MailboxId mb, FolderId folder, Uid uid,
                                                uint64_t offset, uint64_t length) {
  auto lease = PH_TRY(impl_->reader());
  Conn& c = *lease;
  int64_t blob_id = 0;
  uint64_t size = 0;
  bool in_db = true;
  std::string sha;
  {
    PH_QUERY(s, c,
             "SELECT b.id, b.sha256, b.in_db, b.size FROM mail_message m "
             "JOIN mail_folder f ON f.id = m.folder_id JOIN mail_blob b ON b.id = m.blob_id "
             "WHERE m.folder_id = ? AND m.uid = ? AND f.mailbox_id = ?");
    s->bind_all(folder, uid, mb);
    if (!PH_TRY(s->step())) return Error(Errc::kNotFound, "no such message");
    Row(*s).into(blob_id, sha, in_db, size);
  }
  if (offset >= size) return std::string();
  uint64_t n = std::min(length, size - offset);
  if (!in_db) return impl_->files.read(sha, offset, n);
  return read_inline(c, blob_id, offset, n);
}

}  // namespace posthouse::store::sqlite
