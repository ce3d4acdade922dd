// Private to the SqliteMailStore implementation (mail_store*.cc): the connection and batch
// types the files share and the definition of SqliteMailStore::Impl. Nothing outside
// src/store/sqlite/mail_store*.cc includes it; the contract is in mail_store.h.
//
// Which file holds what (the member comments below say it too):
//   mail_store.cc          open/stop, the reader pool, watchers and notification
//   mail_store_writer.cc   the writer thread, group commit, bodies, append and delivery
//   mail_store_read.cc     folder and message reads (STATUS, UIDs, FETCH, body bytes)
//   mail_store_flags.cc    STORE, EXPUNGE, COPY and MOVE
//   mail_store_folders.cc  folder names, create/rename/delete/subscribe
//   mail_store_account.cc  provisioning, quota and usage
//   mail_store_check.cc    check/repair and the startup sweep
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/sqlite/db.h"
#include "store/sqlite/mail_store.h"

namespace posthouse::store::sqlite::mail_internal {

// A connection with its prepared statements, each prepared once and reused (keyed by the
// address of the SQL literal).
class Conn {
 public:
  explicit Conn(std::unique_ptr<Db> db) : db_(std::move(db)) {}
  Db& db() { return *db_; }
  base::Result<Stmt*> stmt(const char* sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      auto s = PH_TRY(db_->prepare(sql));
      it = cache_.emplace(sql, std::move(s)).first;
    }
    return &it->second;
  }

 private:
  std::unique_ptr<Db> db_;
  std::unordered_map<const char*, Stmt> cache_;
};

// A cached statement in use: reset (bindings cleared, read snapshot released) on scope exit.
class Q {
 public:
  explicit Q(Stmt* s) : s_(s) {}
  ~Q() { s_->reset(); }
  Q(const Q&) = delete;
  Stmt* operator->() { return s_; }
  Stmt& operator*() { return *s_; }

 private:
  Stmt* s_;
};

#define PH_QUERY(var, conn, sql) \
  ::posthouse::store::sqlite::mail_internal::Q var(PH_TRY((conn).stmt(sql)))

int64_t now_seconds();
std::string join_keywords(const std::vector<std::string>& kw);
std::vector<std::string> split_keywords(std::string_view s);
// IMAP flag-keyword atoms: no specials, no controls, no leading backslash; bounded. Sorts and
// deduplicates the keywords.
base::Status normalize_flags(Flags* f);
base::Status as_status(base::Result<std::monostate> r);
// What a failed batch reports: kTemporary stays (disk full, busy), everything else is kIo.
base::Error batch_error(base::Error e);

// A message prepared on the calling thread: bytes, hash, parse results.
struct Prepared {
  std::string raw;
  std::string sha;
  mime::ParsedMessage parsed;
  std::string search_body;  // mime::body_search_text(), when the store keeps the search index
};

struct PendingWrite {
  std::string sha;
  std::shared_ptr<const Prepared> msg;  // keeps the bytes alive until the batch completes
};

// What a batch must do around its commit, collected per operation and merged only when the
// operation's savepoint is released.
struct BatchState {
  std::vector<PendingWrite> writes;
  std::set<std::string> unlinks;
  std::vector<Change> changes;
  // Search index rows of the bodies created, written by index_blobs() after every op of the
  // batch: an FTS5 table writes its pending rows out at each savepoint, so rows added op by op
  // cost one small index segment per message (a third of a delivery's CPU, measured).
  std::vector<std::pair<int64_t, std::shared_ptr<const Prepared>>> index;
  void merge(BatchState&& o) {
    for (auto& w : o.writes) writes.push_back(std::move(w));
    for (auto& i : o.index) index.push_back(std::move(i));
    unlinks.merge(o.unlinks);
    for (auto& c : o.changes) changes.push_back(c);
  }
};

struct Op {
  std::function<base::Status(BatchState&)> run;
  std::function<void(const base::Error*)> complete;  // batch error, or nullptr after the commit
};

struct FolderRow {
  FolderId id = 0;
  std::string name;
  uint32_t uidvalidity = 0;
  Uid uidnext = 1;
  ModSeq highestmodseq = 0;
};

struct MsgRow {
  Uid uid = 0;
  ModSeq modseq = 0;
  uint32_t flags = 0;
  std::string keywords;
  int64_t internaldate = 0;
  int64_t savedate = 0;  // rows from before migration 0090 read as their internaldate
  uint64_t size = 0;
  int64_t blob_id = 0;
};

// Deltas of a folder's STATUS counters.
struct Counts {
  int64_t messages = 0, unseen = 0, deleted = 0, bytes = 0;
  void add(uint32_t flags, uint64_t size, int sign) {
    messages += sign;
    unseen += (flags & kSeen) ? 0 : sign;
    deleted += (flags & kDeleted) ? sign : 0;
    bytes += sign * static_cast<int64_t>(size);
  }
  bool empty() const { return messages == 0 && unseen == 0 && deleted == 0 && bytes == 0; }
};

// Folder lookups any connection (reader or writer) runs. Another mailbox's folder is
// kNotFound (isolation).
base::Status check_folder(Conn& c, MailboxId mb, FolderId folder);
base::Result<FolderRow> folder_row(Conn& c, MailboxId mb, FolderId folder);
base::Result<std::optional<FolderInfo>> folder_by_name(Conn& c, MailboxId mb,
                                                       const std::string& name);
// The FolderInfo columns in the order read_folder() reads them.
#define PH_FOLDER_COLS \
  "id, name, special_use, uidvalidity, uidnext, highestmodseq, subscribed, mailbox_id"
FolderInfo read_folder(const Stmt& s);
// Messages of `set` in folder, ascending UID, deduplicated.
base::Result<std::vector<MsgRow>> select_rows(Conn& c, FolderId folder, const UidSet& set);

}  // namespace posthouse::store::sqlite::mail_internal

namespace posthouse::store::sqlite {

// The implementation files name these unqualified (this header is theirs alone).
using base::Errc;
using base::Error;
using mail_internal::as_status;
using mail_internal::batch_error;
using mail_internal::BatchState;
using mail_internal::check_folder;
using mail_internal::Conn;
using mail_internal::Counts;
using mail_internal::folder_by_name;
using mail_internal::folder_row;
using mail_internal::FolderRow;
using mail_internal::join_keywords;
using mail_internal::MsgRow;
using mail_internal::normalize_flags;
using mail_internal::now_seconds;
using mail_internal::Op;
using mail_internal::Prepared;
using mail_internal::Q;
using mail_internal::read_folder;
using mail_internal::select_rows;
using mail_internal::split_keywords;

struct SqliteMailStore::Impl {
  MailStoreOptions opts;
  FsEnv* env;
  BlobFiles files;
  std::unique_ptr<Conn> writer;

  // Writer queue.
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Op> queue;
  bool stopping = false;
  std::thread thread;
  std::atomic<uint64_t> batches{0}, ops_done{0};

  // Reader pool.
  std::mutex readers_mu;
  std::vector<std::unique_ptr<Conn>> idle_readers;

  // Watchers.
  std::mutex watch_mu;
  std::mutex notify_mu;  // held while callbacks run, so unwatch() can wait them out
  std::unordered_map<MailboxId, std::vector<std::pair<uint64_t, std::shared_ptr<ChangeCallback>>>>
      watchers;
  std::unordered_map<uint64_t, MailboxId> watch_tokens;
  uint64_t next_token = 1;

  Impl(MailStoreOptions o, FsEnv* e)
      : opts(std::move(o)), env(e), files(*e, opts.data_dir + "/blobs") {}

  // ---- writer thread and group commit (mail_store_writer.cc)

  // Queues op for the writer; after stop() completes it at once with kUnavailable.
  void enqueue(Op op);

  // Queues fn; done gets its result after the batch committed, or the batch's error.
  template <class T>
  void submit(std::function<base::Result<T>(BatchState&)> fn,
              std::function<void(base::Result<T>)> done) {
    auto slot = std::make_shared<std::optional<base::Result<T>>>();
    Op op;
    op.run = [fn = std::move(fn), slot](BatchState& st) -> base::Status {
      slot->emplace(fn(st));
      if (!(*slot)->ok()) return (*slot)->error();
      return {};
    };
    op.complete = [slot, done = std::move(done)](const base::Error* err) {
      if (err != nullptr) {
        done(base::Result<T>(*err));
      } else {
        done(std::move(**slot));
      }
    };
    enqueue(std::move(op));
  }

  template <class T>
  base::Result<T> submit_sync(std::function<base::Result<T>(BatchState&)> fn) {
    std::promise<base::Result<T>> p;
    auto f = p.get_future();
    submit<T>(std::move(fn), [&p](base::Result<T> r) { p.set_value(std::move(r)); });
    return f.get();
  }

  void writer_loop();
  // Takes the next batch off the queue, waiting as writer_loop's comment says; empty when
  // stopping with nothing queued.
  std::vector<Op> next_batch(size_t last);
  void run_batch(std::vector<Op>& ops);
  // The transactional half of run_batch: every op in its savepoint, the batch's files, the
  // commit. `written` gets the files written, for removal when this fails.
  base::Status commit_batch(std::vector<Op>& ops, BatchState& batch,
                            std::vector<std::string>& written);
  base::Status run_ops(std::vector<Op>& ops, BatchState& batch);
  base::Status write_files(const BatchState& batch, std::vector<std::string>& written);
  base::Status exec_cached(const char* sql);

  // Runs fn inside a nested savepoint; a refusal (kNotFound, kLimit, kInvalid) rolls back only
  // fn's work and is returned as the value; any other error aborts the enclosing operation.
  template <class T, class F>
  base::Result<base::Result<T>> nested(F&& fn) {
    PH_CHECK(exec_cached("SAVEPOINT rcpt"));
    base::Result<T> r = fn();
    if (r.ok()) {
      PH_CHECK(exec_cached("RELEASE rcpt"));
      return base::Result<base::Result<T>>(std::move(r));
    }
    PH_CHECK(exec_cached("ROLLBACK TO rcpt"));
    PH_CHECK(exec_cached("RELEASE rcpt"));
    base::Errc c = r.error().code;
    if (c != base::Errc::kNotFound && c != base::Errc::kLimit && c != base::Errc::kInvalid) {
      return r.error();
    }
    return base::Result<base::Result<T>>(std::move(r));
  }

  // ---- bodies, messages and folder stamps, on the writer (mail_store_writer.cc)

  // Size limit, hash and parse, on the calling thread.
  base::Result<std::shared_ptr<const Prepared>> prepare(std::string raw);
  // One more reference to the body of `msg`, creating the blob when new.
  base::Result<int64_t> acquire_blob(BatchState& st, const std::shared_ptr<const Prepared>& msg);
  // One reference less; the last one deletes the row and, after the commit, the file.
  base::Status release_blob(BatchState& st, int64_t blob_id);
  base::Status delete_blob_row(int64_t blob_id);
  base::Status insert_message(FolderId folder, const MsgRow& m);
  base::Status record_expunged(FolderId folder, Uid uid, ModSeq modseq);
  // Bumps the folder's HIGHESTMODSEQ (and UIDNEXT by `uids`); returns the new modseq and the
  // first allocated UID.
  base::Result<std::pair<ModSeq, Uid>> bump_folder(FolderId folder, uint32_t uids);
  base::Status add_counts(FolderId folder, const Counts& c);
  base::Result<Appended> append_one(BatchState& st, MailboxId mb, const FolderRow& folder,
                                    const std::shared_ptr<const Prepared>& msg,
                                    int64_t internaldate, const Flags& flags);
  // MULTIAPPEND and REPLACE (mail_store_writer.cc).
  base::Result<AppendManyResult> append_many_op(
      BatchState& st, MailboxId mb, FolderId folder,
      const std::vector<std::tuple<std::shared_ptr<const Prepared>, int64_t, Flags>>& items,
      const std::optional<ReplaceOf>& replaces);
  base::Result<DeliveryResult> deliver_op(BatchState& st, const std::vector<MailboxId>& rcpts,
                                          const std::string& folder,
                                          const std::shared_ptr<const Prepared>& msg, int64_t date,
                                          const Flags& flags);

  // ---- quota and usage (mail_store_account.cc)

  base::Status quota_check(MailboxId mb, uint64_t add_bytes, uint64_t add_messages);
  base::Status add_usage(MailboxId mb, int64_t bytes, int64_t messages);

  // ---- folders (mail_store_folders.cc)

  base::Result<FolderInfo> create_one(BatchState& st, MailboxId mb, const std::string& name,
                                      std::string_view special_use, bool subscribed);
  // Creates `name` and its missing parents; kConflict when `name` exists.
  base::Result<FolderInfo> create_with_parents(BatchState& st, MailboxId mb,
                                               const std::string& name,
                                               std::string_view special_use, bool subscribed);
  // Deletes every message of the folder, releasing bodies; returns bytes and count removed.
  base::Result<std::pair<int64_t, int64_t>> purge_messages(BatchState& st, FolderId folder);
  base::Status delete_folder_row(BatchState& st, MailboxId mb, FolderId folder);
  base::Status rename_op(BatchState& st, MailboxId mb, FolderId folder, const std::string& to);
  // Renaming INBOX moves its messages to a new folder `to`; INBOX stays, empty.
  base::Status rename_inbox(BatchState& st, MailboxId mb, const FolderRow& inbox,
                            const std::string& to);

  // ---- flags, expunge, copy and move (mail_store_flags.cc)

  base::Result<StoreFlagsResult> store_flags_op(BatchState& st, MailboxId mb, FolderId folder,
                                                const UidSet& set, FlagOp op, const Flags& want,
                                                std::optional<ModSeq> unchanged);
  base::Result<CopyResult> copy_op(BatchState& st, MailboxId mb, FolderId from, const UidSet& set,
                                   FolderId to, bool move);
  // Deletes the given messages, records them as expunged; with release, drops their body
  // references and usage (a move keeps both).
  base::Result<ExpungeResult> remove_rows(BatchState& st, MailboxId mb, FolderId folder,
                                          const std::vector<Uid>& uids, bool release);

  // ---- readers (mail_store.cc)

  // A reader connection, back to the idle pool (up to max_idle_readers) when it goes.
  struct Lease {
    Impl* impl;
    std::unique_ptr<Conn> conn;
    Lease(Impl* i, std::unique_ptr<Conn> c) : impl(i), conn(std::move(c)) {}
    Lease(Lease&&) = default;
    ~Lease();
    Conn& operator*() { return *conn; }
  };
  base::Result<Lease> reader();

  // Runs the watchers of each change's mailbox (after a commit, on the writer thread).
  void notify(const std::vector<Change>& changes);

  // ---- consistency (mail_store_check.cc)

  base::Result<CheckReport> check_op(BatchState& st, bool repair);
  base::Result<CheckReport> sweep_debris_op(BatchState& st);

  // ---- the SEARCH index (mail_store_search.cc)

  // The index rows of the batch's new bodies (acquire_blob, BatchState::index), after its ops,
  // and a row's removal with its body (delete_blob_row).
  base::Status index_blobs(const BatchState& batch);
  base::Status unindex_blob(int64_t blob_id);
  // Fills the index anew from every stored body, logging progress; with own_transactions it
  // commits every few hundred bodies (at open, before the writer thread runs), otherwise it
  // runs inside the caller's transaction (check --repair on the writer). Marks meta
  // 'search_index' = 'v1' when done.
  base::Status build_search_index(bool own_transactions);
  // At open: builds the index when the mark is missing; with the index off, drops the mark so
  // that turning it on again rebuilds.
  base::Status open_search_index();
  // check(): bodies missing from the index and index rows without a body.
  base::Result<std::vector<std::string>> search_index_problems();
};

using Impl = SqliteMailStore::Impl;

}  // namespace posthouse::store::sqlite
