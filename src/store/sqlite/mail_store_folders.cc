// SqliteMailStore: folders. Name rules, LIST and STATUS reads, and CREATE, DELETE, RENAME
// (INBOX's special case included) and SUBSCRIBE on the writer.
#include "base/strings.h"
#include "store/sqlite/mail_store.h"
#include "store/sqlite/mail_store_internal.h"

namespace posthouse::store::sqlite {

namespace {

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 4;
    if (n == 4 || i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n + 1;
  }
  return true;
}

// `to` names `from` or a folder below it.
bool is_inside(const std::string& to, const std::string& from) {
  return to.size() > from.size() && to.compare(0, from.size(), from) == 0 &&
         to[from.size()] == kFolderSeparator;
}

}  // namespace

base::Result<std::string> canonical_folder_name(std::string_view name) {
  if (name.empty()) return Error(Errc::kInvalid, "empty folder name", "name");
  if (name.size() > 512) return Error(Errc::kInvalid, "folder name too long", "name");
  if (!valid_utf8(name)) return Error(Errc::kInvalid, "folder name is not UTF-8", "name");
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      return Error(Errc::kInvalid, "control character in folder name", "name");
  }
  for (auto comp : base::split(name, kFolderSeparator)) {
    if (comp.empty() || comp == "." || comp == "..") {
      return Error(Errc::kInvalid, "invalid folder name component", "name");
    }
  }
  std::string out(name);
  if (base::istarts_with(out, "INBOX") && (out.size() == 5 || out[5] == kFolderSeparator)) {
    out.replace(0, 5, "INBOX");
  }
  return out;
}

namespace mail_internal {

FolderInfo read_folder(const Stmt& s) {
  FolderInfo f;
  Row(s).into(f.id, f.name, f.special_use, f.uidvalidity, f.uidnext, f.highestmodseq, f.subscribed,
              f.mailbox_id);
  return f;
}

base::Result<std::optional<FolderInfo>> folder_by_name(Conn& c, MailboxId mb,
                                                       const std::string& name) {
  PH_QUERY(s, c, "SELECT " PH_FOLDER_COLS " FROM mail_folder WHERE mailbox_id = ? AND name = ?");
  s->bind_all(mb, name);
  if (!PH_TRY(s->step())) return std::optional<FolderInfo>();
  return std::optional<FolderInfo>(read_folder(*s));
}

}  // namespace mail_internal

// ---- writer-side helpers

base::Result<FolderInfo> Impl::create_one(BatchState& st, MailboxId mb, const std::string& name,
                                          std::string_view special_use, bool subscribed) {
  uint32_t uidvalidity = 0;
  {
    PH_QUERY(s, *writer,
             "UPDATE mail_account SET next_uidvalidity = max(next_uidvalidity, ?) + 1 "
             "WHERE mailbox_id = ? RETURNING next_uidvalidity - 1");
    s->bind_all(now_seconds() & 0x7fffffff, mb);
    if (!PH_TRY(s->step())) return Error(Errc::kNotFound, "no such mailbox");
    uidvalidity = static_cast<uint32_t>(s->col_int(0));
  }
  PH_QUERY(s, *writer,
           "INSERT INTO mail_folder(mailbox_id, name, special_use, uidvalidity, subscribed) "
           "VALUES(?, ?, ?, ?, ?)");
  s->bind_all(mb, name, special_use, uidvalidity, subscribed);
  PH_CHECK(s->run());
  FolderInfo f;
  f.id = writer->db().last_insert_id();
  f.mailbox_id = mb;
  f.name = name;
  f.special_use = std::string(special_use);
  f.uidvalidity = uidvalidity;
  f.uidnext = 1;
  f.highestmodseq = 1;
  f.subscribed = subscribed;
  st.changes.push_back({mb, f.id, Change::Kind::kFolder, 1, 1});
  return f;
}

base::Result<FolderInfo> Impl::create_with_parents(BatchState& st, MailboxId mb,
                                                   const std::string& name,
                                                   std::string_view special_use, bool subscribed) {
  if (PH_TRY(folder_by_name(*writer, mb, name))) {
    return Error(Errc::kConflict, "folder already exists");
  }
  for (size_t p = name.find(kFolderSeparator); p != std::string::npos;
       p = name.find(kFolderSeparator, p + 1)) {
    std::string parent = name.substr(0, p);
    if (!PH_TRY(folder_by_name(*writer, mb, parent))) {
      PH_TRY(create_one(st, mb, parent, "", subscribed));
    }
  }
  return create_one(st, mb, name, special_use, subscribed);
}

base::Result<std::pair<int64_t, int64_t>> Impl::purge_messages(BatchState& st, FolderId folder) {
  std::vector<std::pair<int64_t, int64_t>> rows;  // blob_id, size
  {
    PH_QUERY(s, *writer, "SELECT blob_id, size FROM mail_message WHERE folder_id = ?");
    s->bind(1, folder);
    while (PH_TRY(s->step())) rows.emplace_back(s->col_int(0), s->col_int(1));
  }
  // Rows first: a blob row goes only when no message references it (foreign key).
  for (const char* sql : {"DELETE FROM mail_message WHERE folder_id = ?",
                          "DELETE FROM mail_expunged WHERE folder_id = ?"}) {
    PH_QUERY(d, *writer, sql);
    d->bind(1, folder);
    PH_CHECK(d->run());
  }
  int64_t bytes = 0;
  for (auto [blob, size] : rows) {
    PH_CHECK(release_blob(st, blob));
    bytes += size;
  }
  return std::make_pair(bytes, static_cast<int64_t>(rows.size()));
}

base::Status Impl::delete_folder_row(BatchState& st, MailboxId mb, FolderId folder) {
  auto [bytes, count] = PH_TRY(purge_messages(st, folder));
  PH_CHECK(add_usage(mb, -bytes, -count));
  PH_QUERY(d, *writer, "DELETE FROM mail_folder WHERE id = ?");
  d->bind(1, folder);
  PH_CHECK(d->run());
  st.changes.push_back({mb, folder, Change::Kind::kFolder, 0, 0});
  return {};
}

base::Status Impl::rename_op(BatchState& st, MailboxId mb, FolderId folder, const std::string& to) {
  auto row = PH_TRY(folder_row(*writer, mb, folder));
  if (row.name == to) return {};
  if (to == "INBOX") return Error(Errc::kConflict, "INBOX exists");
  if (is_inside(to, row.name)) return Error(Errc::kInvalid, "cannot rename a folder into itself");
  if (PH_TRY(folder_by_name(*writer, mb, to))) {
    return Error(Errc::kConflict, "target folder exists");
  }
  // Missing parents of the new name are created (RFC 3501 6.3.5).
  auto slash = to.find_last_of(kFolderSeparator);
  if (slash != std::string::npos) {
    std::string parent = to.substr(0, slash);
    if (!PH_TRY(folder_by_name(*writer, mb, parent))) {
      PH_TRY(create_with_parents(st, mb, parent, "", true));
    }
  }
  if (row.name == "INBOX") return rename_inbox(st, mb, row, to);
  PH_QUERY(u, *writer,
           "UPDATE mail_folder SET name = ? || substr(name, length(?) + 1) WHERE mailbox_id = ? "
           "AND (name = ? OR substr(name, 1, length(?) + 1) = ? || '/')");
  u->bind_all(to, row.name, mb, row.name, row.name, row.name);
  PH_CHECK(u->run());
  st.changes.push_back({mb, folder, Change::Kind::kFolder, 0, 0});
  return {};
}

base::Status Impl::rename_inbox(BatchState& st, MailboxId mb, const FolderRow& inbox,
                                const std::string& to) {
  auto nf = PH_TRY(create_one(st, mb, to, "", true));
  std::vector<Uid> moved;
  {
    PH_QUERY(s, *writer, "SELECT uid FROM mail_message WHERE folder_id = ? ORDER BY uid");
    s->bind(1, inbox.id);
    while (PH_TRY(s->step())) moved.push_back(static_cast<Uid>(s->col_int(0)));
  }
  {
    // The new folder takes INBOX's UIDNEXT, HIGHESTMODSEQ and counters; INBOX is empty.
    PH_QUERY(u, *writer,
             "UPDATE mail_folder SET uidnext = ?, highestmodseq = ?, (messages, unseen, "
             "deleted, bytes) = (SELECT messages, unseen, deleted, bytes FROM mail_folder "
             "WHERE id = ?) WHERE id = ?");
    u->bind_all(inbox.uidnext, inbox.highestmodseq, inbox.id, nf.id);
    PH_CHECK(u->run());
    PH_QUERY(z, *writer,
             "UPDATE mail_folder SET messages = 0, unseen = 0, deleted = 0, bytes = 0 "
             "WHERE id = ?");
    z->bind(1, inbox.id);
    PH_CHECK(z->run());
  }
  {
    PH_QUERY(m, *writer, "UPDATE mail_message SET folder_id = ? WHERE folder_id = ?");
    m->bind_all(nf.id, inbox.id);
    PH_CHECK(m->run());
  }
  if (moved.empty()) return {};
  auto modseq = PH_TRY(bump_folder(inbox.id, 0)).first;
  for (Uid u : moved) PH_CHECK(record_expunged(inbox.id, u, modseq));
  st.changes.push_back({mb, inbox.id, Change::Kind::kExpunge, 0, modseq});
  return {};
}

// ---- public API

base::Result<std::vector<FolderInfo>> SqliteMailStore::list_folders(MailboxId mb) {
  auto lease = PH_TRY(impl_->reader());
  {
    PH_QUERY(a, *lease, "SELECT 1 FROM mail_account WHERE mailbox_id = ?");
    a->bind(1, mb);
    if (!PH_TRY(a->step())) return Error(Errc::kNotFound, "no such mailbox");
  }
  PH_QUERY(s, *lease,
           "SELECT " PH_FOLDER_COLS " FROM mail_folder WHERE mailbox_id = ? ORDER BY name");
  s->bind(1, mb);
  std::vector<FolderInfo> out;
  while (PH_TRY(s->step())) out.push_back(read_folder(*s));
  return out;
}

base::Result<FolderInfo> SqliteMailStore::folder(MailboxId mb, std::string_view name) {
  auto canon = PH_TRY(canonical_folder_name(name));
  auto lease = PH_TRY(impl_->reader());
  auto f = PH_TRY(folder_by_name(*lease, mb, canon));
  if (!f) return Error(Errc::kNotFound, "no such folder");
  return *f;
}

base::Result<FolderInfo> SqliteMailStore::create_folder(MailboxId mb, std::string_view name,
                                                        std::string_view special_use) {
  auto canon = PH_TRY(canonical_folder_name(name));
  Impl* i = impl_.get();
  return i->submit_sync<FolderInfo>(
      [i, mb, canon, su = std::string(special_use)](BatchState& st) -> base::Result<FolderInfo> {
        return i->create_with_parents(st, mb, canon, su, true);
      });
}

base::Status SqliteMailStore::delete_folder(MailboxId mb, FolderId folder) {
  Impl* i = impl_.get();
  return as_status(i->submit_sync<std::monostate>(
      [i, mb, folder](BatchState& st) -> base::Result<std::monostate> {
        auto row = PH_TRY(folder_row(*i->writer, mb, folder));
        if (row.name == "INBOX") return Error(Errc::kInvalid, "INBOX cannot be deleted");
        PH_CHECK(i->delete_folder_row(st, mb, folder));
        return std::monostate{};
      }));
}

base::Status SqliteMailStore::rename_folder(MailboxId mb, FolderId folder,
                                            std::string_view new_name) {
  auto to = PH_TRY(canonical_folder_name(new_name));
  Impl* i = impl_.get();
  return as_status(i->submit_sync<std::monostate>(
      [i, mb, folder, to](BatchState& st) -> base::Result<std::monostate> {
        PH_CHECK(i->rename_op(st, mb, folder, to));
        return std::monostate{};
      }));
}

base::Status SqliteMailStore::set_subscribed(MailboxId mb, FolderId folder, bool subscribed) {
  Impl* i = impl_.get();
  return as_status(i->submit_sync<std::monostate>(
      [i, mb, folder, subscribed](BatchState& st) -> base::Result<std::monostate> {
        PH_QUERY(s, *i->writer,
                 "UPDATE mail_folder SET subscribed = ? WHERE id = ? AND mailbox_id = ?");
        s->bind_all(subscribed, folder, mb);
        PH_CHECK(s->run());
        if (i->writer->db().changes() == 0) return Error(Errc::kNotFound, "no such folder");
        st.changes.push_back({mb, folder, Change::Kind::kFolder, 0, 0});
        return std::monostate{};
      }));
}

base::Result<FolderStatus> SqliteMailStore::status(MailboxId mb, FolderId folder) {
  auto lease = PH_TRY(impl_->reader());
  Conn& c = *lease;
  // One read transaction, so the first unseen UID matches the counters.
  {
    PH_QUERY(b, c, "BEGIN");
    PH_CHECK(b->run());
  }
  struct End {
    Conn& c;
    ~End() {
      if (auto s = c.stmt("COMMIT"); s.ok()) {
        (void)(*s)->run();
        (*s)->reset();
      }
    }
  } end{c};
  FolderStatus st;
  {
    PH_QUERY(s, c,
             "SELECT uidvalidity, uidnext, highestmodseq, messages, unseen, deleted, bytes "
             "FROM mail_folder WHERE id = ? AND mailbox_id = ?");
    s->bind_all(folder, mb);
    if (!PH_TRY(s->step())) return Error(Errc::kNotFound, "no such folder");
    Row(*s).into(st.uidvalidity, st.uidnext, st.highestmodseq, st.messages, st.unseen, st.deleted,
                 st.size);
  }
  if (st.unseen > 0) {
    // The partial index holds only unseen messages: no walk over the seen ones. Named, since
    // without statistics the planner would pick the primary key.
    PH_QUERY(s, c,
             "SELECT uid FROM mail_message INDEXED BY mail_message_unseen WHERE folder_id = ? "
             "AND (flags & 1) = 0 ORDER BY uid LIMIT 1");
    s->bind(1, folder);
    if (PH_TRY(s->step())) st.first_unseen_uid = static_cast<Uid>(s->col_int(0));
  }
  return st;
}

}  // namespace posthouse::store::sqlite
