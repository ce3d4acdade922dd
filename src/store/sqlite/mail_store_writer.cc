// SqliteMailStore: the writer thread and group commit, body blobs, message rows, and the
// operations that add mail (delivery, APPEND).
#include <algorithm>

#include "mime/search_text.h"
#include "store/sqlite/mail_store.h"
#include "store/sqlite/mail_store_internal.h"

namespace posthouse::store::sqlite {

// ---- writer thread

void Impl::enqueue(Op op) {
  {
    std::lock_guard lk(mu);
    if (!stopping) {
      queue.push_back(std::move(op));
      cv.notify_one();
      return;
    }
  }
  Error e(Errc::kUnavailable, "mail store stopped");
  op.complete(&e);
}

void Impl::writer_loop() {
  size_t last = 0;
  while (true) {
    std::vector<Op> batch = next_batch(last);
    if (batch.empty()) return;
    last = batch.size();
    run_batch(batch);
  }
}

std::vector<Op> Impl::next_batch(size_t last) {
  std::vector<Op> batch;
  std::unique_lock lk(mu);
  cv.wait(lk, [&] { return !queue.empty() || stopping; });
  if (queue.empty()) return batch;
  // Concurrency seen in the last batch predicts the next: wait (bounded) until as many
  // callers as last time have queued again, so N clients share one fsync without a fixed
  // delay; a lone client (last <= 1) never waits.
  size_t expect = std::min(last, opts.max_batch);
  if (expect > 1 && queue.size() < expect && !stopping && opts.batch_wait.count() > 0) {
    cv.wait_for(lk, opts.batch_wait, [&] { return queue.size() >= expect || stopping; });
  }
  size_t n = std::min(queue.size(), std::max<size_t>(opts.max_batch, 1));
  batch.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    batch.push_back(std::move(queue.front()));
    queue.pop_front();
  }
  return batch;
}

base::Status Impl::exec_cached(const char* sql) {
  PH_QUERY(s, *writer, sql);
  return s->run();
}

void Impl::run_batch(std::vector<Op>& ops) {
  BatchState batch;
  std::vector<std::string> written;
  if (auto st = commit_batch(ops, batch, written); !st) {
    // Nothing of the batch is committed: files written for it are unreferenced.
    for (const auto& sha : written) (void)files.remove(sha);
    Error e = batch_error(st.error());
    for (auto& op : ops) op.complete(&e);
    return;
  }
  std::set<std::string> keep(written.begin(), written.end());
  for (const auto& sha : batch.unlinks) {
    // A failed unlink leaves an orphan file; check(repair) removes it.
    if (!keep.count(sha)) (void)files.remove(sha);
  }
  ++batches;
  ops_done += ops.size();
  notify(batch.changes);
  for (auto& op : ops) op.complete(nullptr);
}

base::Status Impl::commit_batch(std::vector<Op>& ops, BatchState& batch,
                                std::vector<std::string>& written) {
  // Rolled back on any early return, before run_batch removes the files.
  auto tx = PH_TRY(Tx::begin(writer->db()));
  PH_CHECK(run_ops(ops, batch));
  PH_CHECK(index_blobs(batch));
  PH_CHECK(write_files(batch, written));
  if (opts.before_commit) PH_CHECK(opts.before_commit());
  return tx.commit();
}

base::Status Impl::run_ops(std::vector<Op>& ops, BatchState& batch) {
  for (auto& op : ops) {
    PH_CHECK(exec_cached("SAVEPOINT op"));
    BatchState local;
    auto st = op.run(local);
    if (sqlite3_get_autocommit(writer->db().raw())) {
      // SQLite rolled the whole transaction back (I/O error, disk full): the batch is lost.
      return st ? Error(Errc::kIo, "transaction aborted") : st.error();
    }
    if (!st) {
      PH_CHECK(exec_cached("ROLLBACK TO op"));
      PH_CHECK(exec_cached("RELEASE op"));
      continue;
    }
    PH_CHECK(exec_cached("RELEASE op"));
    batch.merge(std::move(local));
  }
  return {};
}

base::Status Impl::write_files(const BatchState& batch, std::vector<std::string>& written) {
  if (batch.writes.empty()) return {};
  std::set<std::string> dirs;
  for (const auto& w : batch.writes) {
    PH_CHECK(files.write(w.sha, w.msg->raw, &dirs));
    written.push_back(w.sha);
  }
  return files.sync_dirs(dirs);
}

// ---- bodies and message rows

base::Result<std::shared_ptr<const Prepared>> Impl::prepare(std::string raw) {
  if (raw.size() > opts.max_message_size) {
    return Error(Errc::kTooLarge, "message exceeds the size limit");
  }
  auto p = std::make_shared<Prepared>();
  p->sha = sha256_hex(raw);
  p->parsed = mime::parse(raw, opts.mime_limits);
  if (opts.search_index) p->search_body = mime::body_search_text(raw, p->parsed.parts);
  p->raw = std::move(raw);
  return std::shared_ptr<const Prepared>(std::move(p));
}

base::Result<int64_t> Impl::acquire_blob(BatchState& st,
                                         const std::shared_ptr<const Prepared>& msg) {
  {
    PH_QUERY(s, *writer,
             "UPDATE mail_blob SET refcount = refcount + 1 WHERE sha256 = ? RETURNING id");
    s->bind(1, msg->sha);
    if (PH_TRY(s->step())) return s->col_int(0);
  }
  const auto& p = msg->parsed;
  const auto& h = p.headers;
  bool in_db = msg->raw.size() <= opts.inline_max;
  PH_QUERY(ins, *writer,
           "INSERT INTO mail_blob(sha256, size, refcount, in_db, header_size, envelope, "
           "bodystructure, body, part_map, subject, base_subject, from_text, to_text, cc_text, "
           "bcc_text, sort_from, sort_to, sort_cc, message_id, in_reply_to, refs, sent_date) "
           "VALUES(?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  ins->bind_all(msg->sha, msg->raw.size(), in_db, p.header_size, p.envelope, p.bodystructure,
                p.body, p.parts.serialize(), h.subject, h.base_subject, h.from, h.to, h.cc, h.bcc,
                h.sort_from, h.sort_to, h.sort_cc, h.message_id, h.in_reply_to,
                join_keywords(h.references), h.date);
  PH_CHECK(ins->run());
  int64_t id = writer->db().last_insert_id();
  if (opts.search_index) st.index.emplace_back(id, msg);
  if (in_db) {
    PH_QUERY(d, *writer, "INSERT INTO mail_blob_data(blob_id, data) VALUES(?, ?)");
    d->bind(1, id).bind_blob(2, msg->raw);
    PH_CHECK(d->run());
  } else {
    st.writes.push_back({msg->sha, msg});
  }
  return id;
}

base::Status Impl::release_blob(BatchState& st, int64_t blob_id) {
  std::string sha;
  bool in_db = true;
  {
    PH_QUERY(s, *writer,
             "UPDATE mail_blob SET refcount = refcount - 1 WHERE id = ? "
             "RETURNING refcount, in_db, sha256");
    s->bind(1, blob_id);
    if (!PH_TRY(s->step())) return Error(Errc::kInternal, "message references a missing blob");
    if (s->col_int(0) > 0) return {};
    Row(*s, 1).into(in_db, sha);
  }
  PH_CHECK(delete_blob_row(blob_id));
  if (!in_db) st.unlinks.insert(sha);
  return {};
}

base::Status Impl::delete_blob_row(int64_t blob_id) {
  PH_CHECK(unindex_blob(blob_id));
  {
    PH_QUERY(d, *writer, "DELETE FROM mail_blob_data WHERE blob_id = ?");
    d->bind(1, blob_id);
    PH_CHECK(d->run());
  }
  PH_QUERY(b, *writer, "DELETE FROM mail_blob WHERE id = ?");
  b->bind(1, blob_id);
  return b->run();
}

base::Status Impl::insert_message(FolderId folder, const MsgRow& m) {
  PH_QUERY(s, *writer,
           "INSERT INTO mail_message(folder_id, uid, modseq, flags, keywords, internaldate, "
           "savedate, size, blob_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s->bind_all(folder, m.uid, m.modseq, m.flags, m.keywords, m.internaldate,
              m.savedate ? m.savedate : now_seconds(), m.size, m.blob_id);
  return s->run();
}

base::Status Impl::record_expunged(FolderId folder, Uid uid, ModSeq modseq) {
  PH_QUERY(e, *writer,
           "INSERT OR REPLACE INTO mail_expunged(folder_id, uid, modseq) VALUES(?, ?, ?)");
  e->bind_all(folder, uid, modseq);
  return e->run();
}

base::Result<std::pair<ModSeq, Uid>> Impl::bump_folder(FolderId folder, uint32_t uids) {
  PH_QUERY(s, *writer,
           "UPDATE mail_folder SET uidnext = uidnext + ?, highestmodseq = highestmodseq + 1 "
           "WHERE id = ? RETURNING highestmodseq, uidnext");
  s->bind_all(uids, folder);
  if (!PH_TRY(s->step())) return Error(Errc::kNotFound, "no such folder");
  auto modseq = static_cast<ModSeq>(s->col_int(0));
  int64_t next = s->col_int(1);
  if (next - 1 > static_cast<int64_t>(kMaxUid)) {
    return Error(Errc::kLimit, "folder has run out of UIDs");
  }
  return std::make_pair(modseq, static_cast<Uid>(next - uids));
}

base::Status Impl::add_counts(FolderId folder, const Counts& c) {
  if (c.empty()) return {};
  PH_QUERY(s, *writer,
           "UPDATE mail_folder SET messages = messages + ?, unseen = unseen + ?, "
           "deleted = deleted + ?, bytes = bytes + ? WHERE id = ?");
  s->bind_all(c.messages, c.unseen, c.deleted, c.bytes, folder);
  return s->run();
}

// ---- delivery and append

base::Result<Appended> Impl::append_one(BatchState& st, MailboxId mb, const FolderRow& folder,
                                        const std::shared_ptr<const Prepared>& msg,
                                        int64_t internaldate, const Flags& flags) {
  PH_CHECK(quota_check(mb, msg->raw.size(), 1));
  int64_t blob_id = PH_TRY(acquire_blob(st, msg));
  auto [modseq, uid] = PH_TRY(bump_folder(folder.id, 1));
  PH_CHECK(
      insert_message(folder.id, MsgRow{uid, modseq, flags.system, join_keywords(flags.keywords),
                                       internaldate, now_seconds(), msg->raw.size(), blob_id}));
  PH_CHECK(add_usage(mb, static_cast<int64_t>(msg->raw.size()), 1));
  Counts c;
  c.add(flags.system, msg->raw.size(), 1);
  PH_CHECK(add_counts(folder.id, c));
  st.changes.push_back({mb, folder.id, Change::Kind::kAppend, uid + 1, modseq});
  Appended a;
  a.mailbox_id = mb;
  a.folder_id = folder.id;
  a.uidvalidity = folder.uidvalidity;
  a.uid = uid;
  a.modseq = modseq;
  return a;
}

base::Result<DeliveryResult> Impl::deliver_op(BatchState& st, const std::vector<MailboxId>& rcpts,
                                              const std::string& folder,
                                              const std::shared_ptr<const Prepared>& msg,
                                              int64_t date, const Flags& flags) {
  DeliveryResult out;
  for (MailboxId mb : rcpts) {
    // Each recipient in its own savepoint: one over quota does not refuse the others.
    auto r = PH_TRY(nested<Appended>([&]() -> base::Result<Appended> {
      auto f = PH_TRY(folder_by_name(*writer, mb, folder));
      if (!f && folder != "INBOX") f = PH_TRY(folder_by_name(*writer, mb, "INBOX"));
      if (!f) return Error(Errc::kNotFound, "no such mailbox");
      FolderRow row;
      row.id = f->id;
      row.uidvalidity = f->uidvalidity;
      return append_one(st, mb, row, msg, date, flags);
    }));
    out.push_back(std::move(r));
  }
  return out;
}

void SqliteMailStore::deliver_async(Delivery d, std::function<void(DeliveryResult)> done) {
  size_t n = d.recipients.size();
  auto fail_all = [n](const Error& e) { return DeliveryResult(n, base::Result<Appended>(e)); };
  if (n > kMaxRecipients) return done(fail_all(Error(Errc::kLimit, "too many recipients")));
  auto msg = impl_->prepare(std::move(d.raw));
  if (!msg) return done(fail_all(msg.error()));
  if (auto st = normalize_flags(&d.flags); !st) return done(fail_all(st.error()));
  if (n == 0) return done({});
  std::string folder = d.folder.empty() ? "INBOX" : d.folder;
  if (auto c = canonical_folder_name(folder))
    folder = *c;
  else
    folder = "INBOX";
  int64_t date = d.internaldate ? d.internaldate : now_seconds();
  Impl* i = impl_.get();
  i->submit<DeliveryResult>(
      [i, msg = *msg, rcpts = std::move(d.recipients), folder, date, flags = std::move(d.flags)](
          BatchState& st) { return i->deliver_op(st, rcpts, folder, msg, date, flags); },
      [done = std::move(done), fail_all](base::Result<DeliveryResult> r) {
        if (!r.ok()) return done(fail_all(r.error()));
        done(std::move(r).value());
      });
}

DeliveryResult SqliteMailStore::deliver(Delivery d) {
  std::promise<DeliveryResult> p;
  auto f = p.get_future();
  deliver_async(std::move(d), [&p](DeliveryResult r) { p.set_value(std::move(r)); });
  return f.get();
}

void SqliteMailStore::append_async(MailboxId mb, FolderId folder, std::string raw,
                                   int64_t internaldate, Flags flags,
                                   std::function<void(base::Result<Appended>)> done) {
  auto msg = impl_->prepare(std::move(raw));
  if (!msg) return done(msg.error());
  if (auto st = normalize_flags(&flags); !st) return done(st.error());
  int64_t date = internaldate ? internaldate : now_seconds();
  Impl* i = impl_.get();
  i->submit<Appended>(
      [i, mb, folder, msg = *msg, date, flags](BatchState& st) -> base::Result<Appended> {
        auto row = PH_TRY(folder_row(*i->writer, mb, folder));
        return i->append_one(st, mb, row, msg, date, flags);
      },
      std::move(done));
}

base::Result<Appended> SqliteMailStore::append(MailboxId mb, FolderId folder, std::string raw,
                                               int64_t internaldate, Flags flags) {
  std::promise<base::Result<Appended>> p;
  auto f = p.get_future();
  append_async(mb, folder, std::move(raw), internaldate, std::move(flags),
               [&p](base::Result<Appended> r) { p.set_value(std::move(r)); });
  return f.get();
}

base::Result<AppendManyResult> Impl::append_many_op(
    BatchState& st, MailboxId mb, FolderId folder,
    const std::vector<std::tuple<std::shared_ptr<const Prepared>, int64_t, Flags>>& items,
    const std::optional<ReplaceOf>& replaces) {
  auto row = PH_TRY(folder_row(*writer, mb, folder));
  AppendManyResult out;
  // The replaced message goes first: the quota then counts the new message without the old.
  if (replaces) {
    PH_CHECK(check_folder(*writer, mb, replaces->folder));
    out.replaced = PH_TRY(remove_rows(st, mb, replaces->folder, {replaces->uid}, true));
  }
  for (const auto& [msg, date, flags] : items) {
    out.appended.push_back(PH_TRY(append_one(st, mb, row, msg, date, flags)));
  }
  return out;
}

base::Result<AppendManyResult> SqliteMailStore::append_many(MailboxId mb, FolderId folder,
                                                            std::vector<AppendItem> items,
                                                            std::optional<ReplaceOf> replaces) {
  std::vector<std::tuple<std::shared_ptr<const Prepared>, int64_t, Flags>> prepared;
  prepared.reserve(items.size());
  for (auto& it : items) {
    auto msg = PH_TRY(impl_->prepare(std::move(it.raw)));
    PH_CHECK(normalize_flags(&it.flags));
    prepared.emplace_back(std::move(msg), it.internaldate ? it.internaldate : now_seconds(),
                          std::move(it.flags));
  }
  Impl* i = impl_.get();
  return i->submit_sync<AppendManyResult>(
      [i, mb, folder, prepared = std::move(prepared), replaces](BatchState& st) {
        return i->append_many_op(st, mb, folder, prepared, replaces);
      });
}

}  // namespace posthouse::store::sqlite
