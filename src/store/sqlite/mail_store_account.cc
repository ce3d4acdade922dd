// SqliteMailStore: the mailbox account (mail_account): provisioning and removal, quota limits,
// and the usage every mutation keeps exact.
#include <algorithm>

#include "store/sqlite/mail_store.h"
#include "store/sqlite/mail_store_internal.h"

namespace posthouse::store::sqlite {

base::Status Impl::quota_check(MailboxId mb, uint64_t add_bytes, uint64_t add_messages) {
  PH_QUERY(s, *writer,
           "SELECT quota_bytes, quota_messages, used_bytes, used_messages FROM mail_account "
           "WHERE mailbox_id = ?");
  s->bind(1, mb);
  if (!PH_TRY(s->step())) return Error(Errc::kNotFound, "no such mailbox");
  Row r(*s);
  auto qb = r.opt_i64();
  auto qm = r.opt_i64();
  uint64_t ub = 0, um = 0;
  r.into(ub, um);
  if (qb && ub + add_bytes > static_cast<uint64_t>(*qb)) {
    return Error(Errc::kLimit, "mailbox is over its storage quota");
  }
  if (qm && um + add_messages > static_cast<uint64_t>(*qm)) {
    return Error(Errc::kLimit, "mailbox is over its message count quota");
  }
  return {};
}

base::Status Impl::add_usage(MailboxId mb, int64_t bytes, int64_t messages) {
  PH_QUERY(s, *writer,
           "UPDATE mail_account SET used_bytes = used_bytes + ?, used_messages = used_messages "
           "+ ? WHERE mailbox_id = ?");
  s->bind_all(bytes, messages, mb);
  return s->run();
}

base::Status SqliteMailStore::ensure_mailbox(MailboxId mb, const std::vector<FolderSpec>& folders) {
  std::vector<FolderSpec> specs;
  bool has_inbox = false;
  for (const auto& f : folders) {
    auto name = PH_TRY(canonical_folder_name(f.name));
    has_inbox = has_inbox || name == "INBOX";
    specs.push_back({name, f.special_use, f.subscribed});
  }
  if (!has_inbox) specs.insert(specs.begin(), FolderSpec{"INBOX", "", true});
  Impl* i = impl_.get();
  return as_status(i->submit_sync<std::monostate>(
      [i, mb, specs](BatchState& st) -> base::Result<std::monostate> {
        {
          PH_QUERY(s, *i->writer,
                   "INSERT OR IGNORE INTO mail_account(mailbox_id, next_uidvalidity) "
                   "VALUES(?, ?)");
          s->bind_all(mb, now_seconds() & 0x7fffffff);
          PH_CHECK(s->run());
        }
        for (const auto& f : specs) {
          if (PH_TRY(folder_by_name(*i->writer, mb, f.name))) continue;
          PH_TRY(i->create_with_parents(st, mb, f.name, f.special_use, f.subscribed));
        }
        return std::monostate{};
      }));
}

base::Status SqliteMailStore::set_quota(MailboxId mb, std::optional<uint64_t> bytes,
                                        std::optional<uint64_t> messages) {
  Impl* i = impl_.get();
  return as_status(i->submit_sync<std::monostate>(
      [i, mb, bytes, messages](BatchState&) -> base::Result<std::monostate> {
        PH_QUERY(s, *i->writer,
                 "UPDATE mail_account SET quota_bytes = ?, quota_messages = ? "
                 "WHERE mailbox_id = ?");
        std::optional<int64_t> b, m;
        if (bytes) b = static_cast<int64_t>(std::min<uint64_t>(*bytes, INT64_MAX));
        if (messages) m = static_cast<int64_t>(std::min<uint64_t>(*messages, INT64_MAX));
        s->bind_all(b, m, mb);
        PH_CHECK(s->run());
        if (i->writer->db().changes() == 0) return Error(Errc::kNotFound, "no such mailbox");
        return std::monostate{};
      }));
}

base::Result<Quota> SqliteMailStore::quota(MailboxId mb) {
  auto lease = PH_TRY(impl_->reader());
  PH_QUERY(s, *lease,
           "SELECT used_bytes, used_messages, quota_bytes, quota_messages FROM mail_account "
           "WHERE mailbox_id = ?");
  s->bind(1, mb);
  if (!PH_TRY(s->step())) return Error(Errc::kNotFound, "no such mailbox");
  Quota q;
  Row r(*s);
  r.into(q.used_bytes, q.used_messages);
  if (auto v = r.opt_i64()) q.limit_bytes = static_cast<uint64_t>(*v);
  if (auto v = r.opt_i64()) q.limit_messages = static_cast<uint64_t>(*v);
  return q;
}

base::Status SqliteMailStore::delete_mailbox(MailboxId mb) {
  Impl* i = impl_.get();
  return as_status(
      i->submit_sync<std::monostate>([i, mb](BatchState& st) -> base::Result<std::monostate> {
        std::vector<FolderId> folders;
        {
          PH_QUERY(s, *i->writer, "SELECT id FROM mail_folder WHERE mailbox_id = ?");
          s->bind(1, mb);
          while (PH_TRY(s->step())) folders.push_back(s->col_int(0));
        }
        for (FolderId f : folders) PH_CHECK(i->delete_folder_row(st, mb, f));
        PH_QUERY(d, *i->writer, "DELETE FROM mail_account WHERE mailbox_id = ?");
        d->bind(1, mb);
        PH_CHECK(d->run());
        if (i->writer->db().changes() == 0) return Error(Errc::kNotFound, "no such mailbox");
        return std::monostate{};
      }));
}

}  // namespace posthouse::store::sqlite
