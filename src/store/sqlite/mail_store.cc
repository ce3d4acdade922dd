#include "store/sqlite/mail_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "base/strings.h"
#include "store/sqlite/db.h"

namespace posthouse::store::sqlite {

using base::Errc;
using base::Error;

namespace {

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

#define PH_QUERY(var, conn, sql) Q var(PH_TRY((conn).stmt(sql)))

int64_t now_seconds() { return static_cast<int64_t>(std::time(nullptr)); }

std::string join_keywords(const std::vector<std::string>& kw) {
  std::string out;
  for (const auto& k : kw) {
    if (!out.empty()) out += ' ';
    out += k;
  }
  return out;
}

std::vector<std::string> split_keywords(std::string_view s) {
  std::vector<std::string> out;
  for (auto p : base::split(s, ' ')) {
    if (!p.empty()) out.emplace_back(p);
  }
  return out;
}

// IMAP flag-keyword atoms: no specials, no controls, no leading backslash; bounded.
base::Status normalize_flags(Flags* f) {
  if (f->system & ~31u) return Error(Errc::kInvalid, "unknown system flag");
  if (f->keywords.size() > 100) return Error(Errc::kLimit, "too many keywords");
  for (const auto& k : f->keywords) {
    if (k.empty() || k.size() > 100 || k[0] == '\\') {
      return Error(Errc::kInvalid, "invalid keyword", "keywords");
    }
    for (char c : k) {
      auto u = static_cast<unsigned char>(c);
      if (u <= 32 || u >= 127 || std::string_view("(){%*\"\\]").find(c) != std::string_view::npos)
        return Error(Errc::kInvalid, "invalid keyword", "keywords");
    }
  }
  std::sort(f->keywords.begin(), f->keywords.end());
  f->keywords.erase(std::unique(f->keywords.begin(), f->keywords.end()), f->keywords.end());
  return {};
}

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

base::Status as_status(base::Result<std::monostate> r) {
  if (r.ok()) return {};
  return std::move(r).error();
}

// A message prepared on the calling thread: bytes, hash, parse results.
struct Prepared {
  std::string raw;
  std::string sha;
  mime::ParsedMessage parsed;
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
  void merge(BatchState&& o) {
    for (auto& w : o.writes) writes.push_back(std::move(w));
    unlinks.merge(o.unlinks);
    for (auto& c : o.changes) changes.push_back(c);
  }
};

struct Op {
  std::function<base::Status(BatchState&)> run;
  std::function<void(const Error*)> complete;  // batch error, or nullptr after the commit
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
  uint64_t size = 0;
  int64_t blob_id = 0;
};

FolderInfo folder_from(Stmt& s) {
  FolderInfo f;
  f.id = s.col_int(0);
  f.name = s.col_text(1);
  f.special_use = s.col_text(2);
  f.uidvalidity = static_cast<uint32_t>(s.col_int(3));
  f.uidnext = static_cast<Uid>(s.col_int(4));
  f.highestmodseq = static_cast<ModSeq>(s.col_int(5));
  f.subscribed = s.col_int(6) != 0;
  f.mailbox_id = s.col_int(7);
  return f;
}

Error batch_error(Error e) {
  if (e.code != Errc::kTemporary && e.code != Errc::kIo) e.code = Errc::kIo;
  return e;
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

  // ---------------------------------------------------------------- writer thread

  void enqueue(Op op) {
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
    op.complete = [slot, done = std::move(done)](const Error* err) {
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

  void writer_loop() {
    size_t last = 0;
    while (true) {
      std::vector<Op> batch;
      {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return !queue.empty() || stopping; });
        if (queue.empty()) return;
        // Concurrency seen in the last batch predicts the next: wait (bounded) until as many
        // callers as last time have queued again, so N clients share one fsync without a
        // fixed delay; a lone client (last <= 1) never waits.
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
      }
      last = batch.size();
      run_batch(batch);
    }
  }

  base::Status exec_cached(const char* sql) {
    PH_QUERY(s, *writer, sql);
    return s->run();
  }

  void run_batch(std::vector<Op>& ops) {
    BatchState batch;
    std::optional<Error> fail;
    std::vector<std::string> written;
    {
      auto tx = Tx::begin(writer->db());
      if (!tx) {
        fail = tx.error();
      } else {
        for (auto& op : ops) {
          if (auto s = exec_cached("SAVEPOINT op"); !s) {
            fail = s.error();
            break;
          }
          BatchState local;
          auto st = op.run(local);
          if (sqlite3_get_autocommit(writer->db().raw())) {
            // SQLite rolled the whole transaction back (I/O error, disk full): the batch is lost.
            fail = st ? Error(Errc::kIo, "transaction aborted") : st.error();
            break;
          }
          auto end = st ? exec_cached("RELEASE op") : [&]() -> base::Status {
            PH_CHECK(exec_cached("ROLLBACK TO op"));
            return exec_cached("RELEASE op");
          }();
          if (!end) {
            fail = end.error();
            break;
          }
          if (st) batch.merge(std::move(local));
        }
        if (!fail && !batch.writes.empty()) {
          std::set<std::string> dirs;
          for (const auto& w : batch.writes) {
            auto st = files.write(w.sha, w.msg->raw, &dirs);
            if (!st) {
              fail = st.error();
              break;
            }
            written.push_back(w.sha);
          }
          if (!fail) {
            if (auto st = files.sync_dirs(dirs); !st) fail = st.error();
          }
        }
        if (!fail && opts.before_commit) {
          if (auto st = opts.before_commit(); !st) fail = st.error();
        }
        if (!fail) {
          if (auto st = tx->commit(); !st) fail = st.error();
        }
      }
    }
    if (fail) {
      // Nothing of the batch is committed: files written for it are unreferenced.
      for (const auto& sha : written) (void)files.remove(sha);
      Error e = batch_error(*fail);
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

  void notify(const std::vector<Change>& changes) {
    if (changes.empty()) return;
    std::lock_guard nl(notify_mu);
    for (const auto& c : changes) {
      std::vector<std::shared_ptr<ChangeCallback>> cbs;
      {
        std::lock_guard lk(watch_mu);
        auto it = watchers.find(c.mailbox_id);
        if (it == watchers.end()) continue;
        for (auto& [t, cb] : it->second) cbs.push_back(cb);
      }
      for (auto& cb : cbs) (*cb)(c);
    }
  }

  // ---------------------------------------------------------------- readers

  struct Lease {
    Impl* impl;
    std::unique_ptr<Conn> conn;
    Lease(Impl* i, std::unique_ptr<Conn> c) : impl(i), conn(std::move(c)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (!conn) return;
      std::lock_guard lk(impl->readers_mu);
      if (impl->idle_readers.size() < impl->opts.max_idle_readers) {
        impl->idle_readers.push_back(std::move(conn));
      }
    }
    Conn& operator*() { return *conn; }
  };

  base::Result<Lease> reader() {
    {
      std::lock_guard lk(readers_mu);
      if (!idle_readers.empty()) {
        auto c = std::move(idle_readers.back());
        idle_readers.pop_back();
        return Lease(this, std::move(c));
      }
    }
    auto db = PH_TRY(Db::open(opts.db_path));
    return Lease(this, std::make_unique<Conn>(std::move(db)));
  }

  static base::Status check_folder(Conn& c, MailboxId mb, FolderId folder) {
    PH_QUERY(s, c, "SELECT 1 FROM mail_folder WHERE id = ? AND mailbox_id = ?");
    s->bind(1, folder).bind(2, mb);
    if (!PH_TRY(s->step())) return Error(Errc::kNotFound, "no such folder");
    return {};
  }

  static base::Result<FolderRow> folder_row(Conn& c, MailboxId mb, FolderId folder) {
    PH_QUERY(s, c,
             "SELECT id, name, uidvalidity, uidnext, highestmodseq FROM mail_folder "
             "WHERE id = ? AND mailbox_id = ?");
    s->bind(1, folder).bind(2, mb);
    if (!PH_TRY(s->step())) return Error(Errc::kNotFound, "no such folder");
    FolderRow r;
    r.id = s->col_int(0);
    r.name = s->col_text(1);
    r.uidvalidity = static_cast<uint32_t>(s->col_int(2));
    r.uidnext = static_cast<Uid>(s->col_int(3));
    r.highestmodseq = static_cast<ModSeq>(s->col_int(4));
    return r;
  }

  static base::Result<std::optional<FolderInfo>> folder_by_name(Conn& c, MailboxId mb,
                                                                const std::string& name) {
    PH_QUERY(s, c,
             "SELECT id, name, special_use, uidvalidity, uidnext, highestmodseq, subscribed, "
             "mailbox_id FROM mail_folder WHERE mailbox_id = ? AND name = ?");
    s->bind(1, mb).bind(2, name);
    if (!PH_TRY(s->step())) return std::optional<FolderInfo>();
    return std::optional<FolderInfo>(folder_from(*s));
  }

  // Messages of `set` in folder, ascending UID, deduplicated.
  static base::Result<std::vector<MsgRow>> select_rows(Conn& c, FolderId folder,
                                                       const UidSet& set) {
    std::map<Uid, MsgRow> rows;
    PH_QUERY(s, c,
             "SELECT uid, modseq, flags, keywords, internaldate, size, blob_id FROM mail_message "
             "WHERE folder_id = ? AND uid BETWEEN ? AND ? ORDER BY uid");
    for (const auto& r : set) {
      s->reset();
      s->bind(1, folder)
          .bind(2, static_cast<int64_t>(r.first))
          .bind(3, static_cast<int64_t>(r.last));
      while (PH_TRY(s->step())) {
        MsgRow m;
        m.uid = static_cast<Uid>(s->col_int(0));
        m.modseq = static_cast<ModSeq>(s->col_int(1));
        m.flags = static_cast<uint32_t>(s->col_int(2));
        m.keywords = s->col_text(3);
        m.internaldate = s->col_int(4);
        m.size = static_cast<uint64_t>(s->col_int(5));
        m.blob_id = s->col_int(6);
        rows.emplace(m.uid, std::move(m));
      }
    }
    std::vector<MsgRow> out;
    out.reserve(rows.size());
    for (auto& [u, m] : rows) out.push_back(std::move(m));
    return out;
  }

  // ---------------------------------------------------------------- writer-side helpers

  // Bumps the folder's HIGHESTMODSEQ (and UIDNEXT by `uids`); returns the new modseq and the
  // first allocated UID.
  base::Result<std::pair<ModSeq, Uid>> bump_folder(FolderId folder, uint32_t uids) {
    PH_QUERY(s, *writer,
             "UPDATE mail_folder SET uidnext = uidnext + ?, highestmodseq = highestmodseq + 1 "
             "WHERE id = ? RETURNING highestmodseq, uidnext");
    s->bind(1, static_cast<int64_t>(uids)).bind(2, folder);
    if (!PH_TRY(s->step())) return Error(Errc::kNotFound, "no such folder");
    auto modseq = static_cast<ModSeq>(s->col_int(0));
    int64_t next = s->col_int(1);
    if (next - 1 > static_cast<int64_t>(kMaxUid)) {
      return Error(Errc::kLimit, "folder has run out of UIDs");
    }
    return std::make_pair(modseq, static_cast<Uid>(next - uids));
  }

  base::Status quota_check(MailboxId mb, uint64_t add_bytes, uint64_t add_messages) {
    PH_QUERY(s, *writer,
             "SELECT quota_bytes, quota_messages, used_bytes, used_messages FROM mail_account "
             "WHERE mailbox_id = ?");
    s->bind(1, mb);
    if (!PH_TRY(s->step())) return Error(Errc::kNotFound, "no such mailbox");
    auto qb = s->col_opt_int(0), qm = s->col_opt_int(1);
    auto ub = static_cast<uint64_t>(s->col_int(2)), um = static_cast<uint64_t>(s->col_int(3));
    if (qb && ub + add_bytes > static_cast<uint64_t>(*qb)) {
      return Error(Errc::kLimit, "mailbox is over its storage quota");
    }
    if (qm && um + add_messages > static_cast<uint64_t>(*qm)) {
      return Error(Errc::kLimit, "mailbox is over its message count quota");
    }
    return {};
  }

  // Deltas of a folder's STATUS counters.
  struct Counts {
    int64_t messages = 0, unseen = 0, deleted = 0, bytes = 0;
    void add(uint32_t flags, uint64_t size, int sign) {
      messages += sign;
      unseen += (flags & kSeen) ? 0 : sign;
      deleted += (flags & kDeleted) ? sign : 0;
      bytes += sign * static_cast<int64_t>(size);
    }
  };

  base::Status add_counts(FolderId folder, const Counts& c) {
    if (c.messages == 0 && c.unseen == 0 && c.deleted == 0 && c.bytes == 0) return {};
    PH_QUERY(s, *writer,
             "UPDATE mail_folder SET messages = messages + ?, unseen = unseen + ?, "
             "deleted = deleted + ?, bytes = bytes + ? WHERE id = ?");
    s->bind(1, c.messages).bind(2, c.unseen).bind(3, c.deleted).bind(4, c.bytes).bind(5, folder);
    return s->run();
  }

  base::Status add_usage(MailboxId mb, int64_t bytes, int64_t messages) {
    PH_QUERY(s, *writer,
             "UPDATE mail_account SET used_bytes = used_bytes + ?, used_messages = used_messages "
             "+ ? WHERE mailbox_id = ?");
    s->bind(1, bytes).bind(2, messages).bind(3, mb);
    return s->run();
  }

  // One more reference to the body of `msg`, creating the blob when new.
  base::Result<int64_t> acquire_blob(BatchState& st, const std::shared_ptr<const Prepared>& msg) {
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
    ins->bind(1, msg->sha)
        .bind(2, static_cast<int64_t>(msg->raw.size()))
        .bind(3, in_db)
        .bind(4, static_cast<int64_t>(p.header_size))
        .bind(5, p.envelope)
        .bind(6, p.bodystructure)
        .bind(7, p.body)
        .bind(8, p.parts.serialize())
        .bind(9, h.subject)
        .bind(10, h.base_subject)
        .bind(11, h.from)
        .bind(12, h.to)
        .bind(13, h.cc)
        .bind(14, h.bcc)
        .bind(15, h.sort_from)
        .bind(16, h.sort_to)
        .bind(17, h.sort_cc)
        .bind(18, h.message_id)
        .bind(19, h.in_reply_to)
        .bind(20, join_keywords(h.references))
        .bind(21, h.date);
    PH_CHECK(ins->run());
    int64_t id = writer->db().last_insert_id();
    if (in_db) {
      PH_QUERY(d, *writer, "INSERT INTO mail_blob_data(blob_id, data) VALUES(?, ?)");
      d->bind(1, id).bind_blob(2, msg->raw);
      PH_CHECK(d->run());
    } else {
      st.writes.push_back({msg->sha, msg});
    }
    return id;
  }

  base::Status release_blob(BatchState& st, int64_t blob_id) {
    std::string sha;
    bool in_db = true;
    {
      PH_QUERY(s, *writer,
               "UPDATE mail_blob SET refcount = refcount - 1 WHERE id = ? "
               "RETURNING refcount, in_db, sha256");
      s->bind(1, blob_id);
      if (!PH_TRY(s->step())) return Error(Errc::kInternal, "message references a missing blob");
      if (s->col_int(0) > 0) return {};
      in_db = s->col_int(1) != 0;
      sha = s->col_text(2);
    }
    PH_CHECK(delete_blob_row(blob_id));
    if (!in_db) st.unlinks.insert(sha);
    return {};
  }

  base::Status delete_blob_row(int64_t blob_id) {
    {
      PH_QUERY(d, *writer, "DELETE FROM mail_blob_data WHERE blob_id = ?");
      d->bind(1, blob_id);
      PH_CHECK(d->run());
    }
    PH_QUERY(b, *writer, "DELETE FROM mail_blob WHERE id = ?");
    b->bind(1, blob_id);
    return b->run();
  }

  base::Status insert_message(FolderId folder, const MsgRow& m) {
    PH_QUERY(s, *writer,
             "INSERT INTO mail_message(folder_id, uid, modseq, flags, keywords, internaldate, "
             "size, blob_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
    s->bind(1, folder)
        .bind(2, static_cast<int64_t>(m.uid))
        .bind(3, static_cast<int64_t>(m.modseq))
        .bind(4, static_cast<int64_t>(m.flags))
        .bind(5, m.keywords)
        .bind(6, m.internaldate)
        .bind(7, static_cast<int64_t>(m.size))
        .bind(8, m.blob_id);
    return s->run();
  }

  base::Result<Appended> append_one(BatchState& st, MailboxId mb, const FolderRow& folder,
                                    const std::shared_ptr<const Prepared>& msg,
                                    int64_t internaldate, const Flags& flags) {
    PH_CHECK(quota_check(mb, msg->raw.size(), 1));
    int64_t blob_id = PH_TRY(acquire_blob(st, msg));
    auto [modseq, uid] = PH_TRY(bump_folder(folder.id, 1));
    PH_CHECK(
        insert_message(folder.id, MsgRow{uid, modseq, flags.system, join_keywords(flags.keywords),
                                         internaldate, msg->raw.size(), blob_id}));
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

  // Runs fn inside a nested savepoint; a refusal (kNotFound, kLimit) rolls back only fn's work
  // and is returned as the value; any other error aborts the enclosing operation.
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
    Errc c = r.error().code;
    if (c != Errc::kNotFound && c != Errc::kLimit && c != Errc::kInvalid) return r.error();
    return base::Result<base::Result<T>>(std::move(r));
  }

  base::Result<FolderInfo> create_one(BatchState& st, MailboxId mb, const std::string& name,
                                      std::string_view special_use, bool subscribed) {
    uint32_t uidvalidity = 0;
    {
      PH_QUERY(s, *writer,
               "UPDATE mail_account SET next_uidvalidity = max(next_uidvalidity, ?) + 1 "
               "WHERE mailbox_id = ? RETURNING next_uidvalidity - 1");
      s->bind(1, now_seconds() & 0x7fffffff).bind(2, mb);
      if (!PH_TRY(s->step())) return Error(Errc::kNotFound, "no such mailbox");
      uidvalidity = static_cast<uint32_t>(s->col_int(0));
    }
    PH_QUERY(s, *writer,
             "INSERT INTO mail_folder(mailbox_id, name, special_use, uidvalidity, subscribed) "
             "VALUES(?, ?, ?, ?, ?)");
    s->bind(1, mb)
        .bind(2, name)
        .bind(3, special_use)
        .bind(4, static_cast<int64_t>(uidvalidity))
        .bind(5, subscribed);
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

  // Creates `name` and its missing parents; kConflict when `name` exists.
  base::Result<FolderInfo> create_with_parents(BatchState& st, MailboxId mb,
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

  // Deletes every message of the folder, releasing bodies; returns bytes and count removed.
  base::Result<std::pair<int64_t, int64_t>> purge_messages(BatchState& st, FolderId folder) {
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

  base::Status delete_folder_row(BatchState& st, MailboxId mb, FolderId folder) {
    auto [bytes, count] = PH_TRY(purge_messages(st, folder));
    PH_CHECK(add_usage(mb, -bytes, -count));
    PH_QUERY(d, *writer, "DELETE FROM mail_folder WHERE id = ?");
    d->bind(1, folder);
    PH_CHECK(d->run());
    st.changes.push_back({mb, folder, Change::Kind::kFolder, 0, 0});
    return {};
  }

  base::Result<CopyResult> copy_op(BatchState& st, MailboxId mb, FolderId from, const UidSet& set,
                                   FolderId to, bool move) {
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

  // Deletes the given messages, records them as expunged; with release, drops their body
  // references and usage (a move keeps both).
  base::Result<ExpungeResult> remove_rows(BatchState& st, MailboxId mb, FolderId folder,
                                          const std::vector<Uid>& uids, bool release) {
    ExpungeResult out;
    if (uids.empty()) return out;
    auto [modseq, unused] = PH_TRY(bump_folder(folder, 0));
    (void)unused;
    int64_t bytes = 0;
    Counts removed;
    for (Uid u : uids) {
      {
        PH_QUERY(
            s, *writer,
            "DELETE FROM mail_message WHERE folder_id = ? AND uid = ? RETURNING blob_id, size, "
            "flags");
        s->bind(1, folder).bind(2, static_cast<int64_t>(u));
        if (!PH_TRY(s->step())) continue;
        int64_t blob = s->col_int(0);
        bytes += s->col_int(1);
        removed.add(static_cast<uint32_t>(s->col_int(2)), static_cast<uint64_t>(s->col_int(1)), -1);
        s->reset();
        if (release) PH_CHECK(release_blob(st, blob));
      }
      PH_QUERY(e, *writer,
               "INSERT OR REPLACE INTO mail_expunged(folder_id, uid, modseq) VALUES(?, ?, ?)");
      e->bind(1, folder).bind(2, static_cast<int64_t>(u)).bind(3, static_cast<int64_t>(modseq));
      PH_CHECK(e->run());
      out.uids.push_back(u);
    }
    if (release) PH_CHECK(add_usage(mb, -bytes, -static_cast<int64_t>(out.uids.size())));
    PH_CHECK(add_counts(folder, removed));
    out.modseq = modseq;
    st.changes.push_back({mb, folder, Change::Kind::kExpunge, 0, modseq});
    return out;
  }

  base::Result<CheckReport> check_op(BatchState& st, bool repair);
  base::Status check_files(BatchState& st, const std::map<std::string, int64_t>& file_blobs,
                           bool repair,
                           bool debris_only, CheckReport& rep);
  base::Result<CheckReport> sweep_debris_op(BatchState& st);

  base::Result<std::shared_ptr<const Prepared>> prepare(std::string raw) {
    if (raw.size() > opts.max_message_size) {
      return Error(Errc::kTooLarge, "message exceeds the size limit");
    }
    auto p = std::make_shared<Prepared>();
    p->sha = sha256_hex(raw);
    p->parsed = mime::parse(raw, opts.mime_limits);
    p->raw = std::move(raw);
    return std::shared_ptr<const Prepared>(std::move(p));
  }
};

// ------------------------------------------------------------------ consistency check

base::Result<CheckReport> SqliteMailStore::Impl::check_op(BatchState& st, bool repair) {
  CheckReport rep;
  auto problem = [&](std::string s) { rep.problems.push_back(std::move(s)); };
  // Reference counts against the messages that use each blob.
  struct BlobRow {
    int64_t id, refcount, actual, size;
    std::string sha;
    bool in_db;
  };
  std::vector<BlobRow> blobs;
  {
    PH_QUERY(
        s, *writer,
        "SELECT b.id, b.refcount, (SELECT count(*) FROM mail_message m WHERE m.blob_id = b.id),"
        " b.sha256, b.in_db, b.size FROM mail_blob b");
    while (PH_TRY(s->step())) {
      blobs.push_back({s->col_int(0), s->col_int(1), s->col_int(2), s->col_int(5), s->col_text(3),
                       s->col_int(4) != 0});
    }
  }
  std::set<std::string> file_blobs;
  for (const auto& b : blobs) {
    if (!b.in_db) file_blobs.insert(b.sha);
    if (b.refcount == b.actual) continue;
    problem(
        fmt::format("blob {}: refcount {} but {} messages use it", b.sha, b.refcount, b.actual));
    if (!repair) continue;
    if (b.actual == 0) {
      PH_CHECK(delete_blob_row(b.id));
      if (!b.in_db) {
        st.unlinks.insert(b.sha);
        file_blobs.erase(b.sha);
      }
    } else {
      PH_QUERY(u, *writer, "UPDATE mail_blob SET refcount = ? WHERE id = ?");
      u->bind(1, b.actual).bind(2, b.id);
      PH_CHECK(u->run());
    }
    ++rep.repaired;
  }
  {
    PH_QUERY(s, *writer,
             "SELECT b.sha256 FROM mail_blob b LEFT JOIN mail_blob_data d ON d.blob_id = b.id "
             "WHERE b.in_db = 1 AND d.blob_id IS NULL");
    while (PH_TRY(s->step())) problem(fmt::format("blob {}: stored bytes missing", s->col_text(0)));
  }
  {
    std::vector<int64_t> strays;
    {
      PH_QUERY(s, *writer,
               "SELECT d.blob_id FROM mail_blob_data d LEFT JOIN mail_blob b ON b.id = d.blob_id "
               "WHERE b.id IS NULL");
      while (PH_TRY(s->step())) strays.push_back(s->col_int(0));
    }
    for (auto id : strays) {
      problem(fmt::format("blob data {} has no blob", id));
      if (!repair) continue;
      PH_QUERY(d, *writer, "DELETE FROM mail_blob_data WHERE blob_id = ?");
      d->bind(1, id);
      PH_CHECK(d->run());
      ++rep.repaired;
    }
  }
  {
    PH_QUERY(
        s, *writer,
        "SELECT m.folder_id, m.uid FROM mail_message m LEFT JOIN mail_blob b ON b.id = m.blob_id"
        " WHERE b.id IS NULL");
    while (PH_TRY(s->step())) {
      problem(fmt::format("message folder {} uid {}: body missing", s->col_int(0), s->col_int(1)));
    }
  }
  // Stored aggregates against what the rows say. Each query yields (key, n stored values,
  // n true values); a row whose values differ is a problem, repaired by `fix` bound with the
  // true values then the key.
  auto reconcile = [&](const char* what, const char* select, int n,
                       const char* fix) -> base::Status {
    std::vector<std::vector<int64_t>> bad;
    {
      PH_QUERY(s, *writer, select);
      while (PH_TRY(s->step())) {
        std::vector<int64_t> row;
        for (int k = 0; k <= 2 * n; ++k) row.push_back(s->col_int(k));
        if (!std::equal(row.begin() + 1, row.begin() + 1 + n, row.begin() + 1 + n)) {
          bad.push_back(std::move(row));
        }
      }
    }
    for (const auto& row : bad) {
      std::string stored, actual;
      for (int k = 0; k < n; ++k) {
        stored += fmt::format("{}{}", k ? "/" : "", row[1 + k]);
        actual += fmt::format("{}{}", k ? "/" : "", row[1 + n + k]);
      }
      problem(fmt::format("{} {}: {} but should be {}", what, row[0], stored, actual));
      if (!repair) continue;
      PH_QUERY(q, *writer, fix);
      for (int k = 0; k < n; ++k) q->bind(k + 1, row[1 + n + k]);
      q->bind(n + 1, row[0]);
      PH_CHECK(q->run());
      ++rep.repaired;
    }
    return {};
  };
  PH_CHECK(reconcile(
      "mailbox usage (bytes/messages)",
      "SELECT a.mailbox_id, a.used_bytes, a.used_messages, "
      "(SELECT coalesce(sum(m.size), 0) FROM mail_message m JOIN mail_folder f ON "
      "f.id = m.folder_id WHERE f.mailbox_id = a.mailbox_id), "
      "(SELECT count(*) FROM mail_message m JOIN mail_folder f ON f.id = m.folder_id "
      "WHERE f.mailbox_id = a.mailbox_id) FROM mail_account a",
      2, "UPDATE mail_account SET used_bytes = ?, used_messages = ? WHERE mailbox_id = ?"));
  PH_CHECK(reconcile(
      "folder counters (messages/unseen/deleted/bytes)",
      "SELECT f.id, f.messages, f.unseen, f.deleted, f.bytes, count(m.uid), "
      "coalesce(sum((m.flags & 1) = 0), 0), coalesce(sum((m.flags & 8) != 0), 0), "
      "coalesce(sum(m.size), 0) FROM mail_folder f LEFT JOIN mail_message m ON "
      "m.folder_id = f.id GROUP BY f.id",
      4, "UPDATE mail_folder SET messages = ?, unseen = ?, deleted = ?, bytes = ? WHERE id = ?"));
  // UIDNEXT and HIGHESTMODSEQ must stay above everything handed out, expunged included.
  PH_CHECK(reconcile(
      "folder uidnext/highestmodseq",
      "SELECT id, uidnext, highestmodseq, max(uidnext, maxuid + 1), max(highestmodseq, maxmod) "
      "FROM (SELECT f.id, f.uidnext, f.highestmodseq, max(coalesce((SELECT max(uid) FROM "
      "mail_message WHERE folder_id = f.id), 0), coalesce((SELECT max(uid) FROM mail_expunged "
      "WHERE folder_id = f.id), 0)) AS maxuid, max(coalesce((SELECT max(modseq) FROM "
      "mail_message WHERE folder_id = f.id), 0), coalesce((SELECT max(modseq) FROM "
      "mail_expunged WHERE folder_id = f.id), 0)) AS maxmod FROM mail_folder f)",
      2, "UPDATE mail_folder SET uidnext = ?, highestmodseq = ? WHERE id = ?"));
  std::map<std::string, int64_t> file_sizes;  // sha → expected size
  for (const auto& b : blobs)
    if (file_blobs.count(b.sha)) file_sizes[b.sha] = b.size;
  PH_CHECK(check_files(st, file_sizes, repair, /*debris_only=*/false, rep));
  return rep;
}

// Files against blob rows. Runs on the writer thread between batches, so no file of an
// uncommitted batch can be mistaken for an orphan. `file_blobs`: sha → expected size of every
// blob whose bytes should be a file. With debris_only, only what a crash leaves behind is looked at (unreferenced files
// and temporaries), never a missing or damaged file.
base::Status SqliteMailStore::Impl::check_files(BatchState& st,
                                                const std::map<std::string, int64_t>& file_blobs,
                                                bool repair, bool debris_only,
                                                CheckReport& rep) {
  auto problem = [&](std::string s) { rep.problems.push_back(std::move(s)); };
  auto listing = PH_TRY(files.list());
  if (!debris_only) {
    std::set<std::string> on_disk(listing.blobs.begin(), listing.blobs.end());
    for (const auto& [sha, expected] : file_blobs) {
      if (!on_disk.count(sha)) {
        problem(fmt::format("blob {}: file missing", sha));
        continue;
      }
      auto size = files.size(sha);
      if (size.ok() && static_cast<int64_t>(*size) != expected)
        problem(fmt::format("blob {}: file size {} but {} expected", sha, *size, expected));
    }
  }
  for (const auto& sha : listing.blobs) {
    if (file_blobs.count(sha) || st.unlinks.count(sha)) continue;
    problem(fmt::format("blob file {} is not referenced", sha));
    if (!repair) continue;
    PH_CHECK(files.remove(sha));
    ++rep.repaired;
  }
  for (const auto& rel : listing.other) {
    problem(fmt::format("stray file {}", rel));
    if (!repair) continue;
    PH_CHECK(files.remove_relative(rel));
    ++rep.repaired;
  }
  return {};
}

base::Result<CheckReport> SqliteMailStore::Impl::sweep_debris_op(BatchState& st) {
  std::map<std::string, int64_t> file_blobs;
  {
    PH_QUERY(s, *writer, "SELECT sha256, size FROM mail_blob WHERE in_db = 0");
    while (PH_TRY(s->step())) file_blobs[s->col_text(0)] = s->col_int(1);
  }
  CheckReport rep;
  PH_CHECK(check_files(st, file_blobs, /*repair=*/true, /*debris_only=*/true, rep));
  return rep;
}

// ------------------------------------------------------------------ public API

SqliteMailStore::SqliteMailStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteMailStore::~SqliteMailStore() { stop(); }

void SqliteMailStore::stop() {
  {
    std::lock_guard lk(impl_->mu);
    if (impl_->stopping && !impl_->thread.joinable()) return;
    impl_->stopping = true;
    impl_->cv.notify_all();
  }
  if (impl_->thread.joinable()) impl_->thread.join();
}

base::Result<std::unique_ptr<SqliteMailStore>> SqliteMailStore::open(MailStoreOptions opts) {
  if (opts.data_dir.empty()) return Error(Errc::kInvalid, "data_dir is required", "data_dir");
  if (opts.db_path.empty()) opts.db_path = opts.data_dir + "/mail.db";
  FsEnv* env = opts.env ? opts.env : &FsEnv::posix();
  std::vector<std::string> created;
  PH_CHECK(env->make_dirs(opts.data_dir + "/blobs", &created));
  auto impl = std::make_unique<Impl>(std::move(opts), env);
  auto db = PH_TRY(Db::open(impl->opts.db_path));
  PH_CHECK(db->migrate());
  impl->writer = std::make_unique<Conn>(std::move(db));
  std::unique_ptr<SqliteMailStore> store(new SqliteMailStore(std::move(impl)));
  Impl* i = store->impl_.get();
  i->thread = std::thread([i] { i->writer_loop(); });
  return store;
}

SqliteMailStore::Stats SqliteMailStore::stats() const {
  return {impl_->batches.load(), impl_->ops_done.load()};
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
          s->bind(1, mb).bind(2, now_seconds() & 0x7fffffff);
          PH_CHECK(s->run());
        }
        for (const auto& f : specs) {
          if (PH_TRY(i->folder_by_name(*i->writer, mb, f.name))) continue;
          PH_TRY(i->create_with_parents(st, mb, f.name, f.special_use, f.subscribed));
        }
        return std::monostate{};
      }));
}

base::Status SqliteMailStore::set_quota(MailboxId mb, std::optional<uint64_t> bytes,
                                        std::optional<uint64_t> messages) {
  Impl* i = impl_.get();
  return as_status(i->submit_sync<std::monostate>([i, mb, bytes, messages](
                                                      BatchState&) -> base::Result<std::monostate> {
    PH_QUERY(s, *i->writer,
             "UPDATE mail_account SET quota_bytes = ?, quota_messages = ? WHERE mailbox_id = ?");
    std::optional<int64_t> b, m;
    if (bytes) b = static_cast<int64_t>(std::min<uint64_t>(*bytes, INT64_MAX));
    if (messages) m = static_cast<int64_t>(std::min<uint64_t>(*messages, INT64_MAX));
    s->bind(1, b).bind(2, m).bind(3, mb);
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
  q.used_bytes = static_cast<uint64_t>(s->col_int(0));
  q.used_messages = static_cast<uint64_t>(s->col_int(1));
  if (auto v = s->col_opt_int(2)) q.limit_bytes = static_cast<uint64_t>(*v);
  if (auto v = s->col_opt_int(3)) q.limit_messages = static_cast<uint64_t>(*v);
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

// ---- delivery and append

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
      [i, msg = *msg, rcpts = std::move(d.recipients), folder, date,
       flags = std::move(d.flags)](BatchState& st) -> base::Result<DeliveryResult> {
        DeliveryResult out;
        for (MailboxId mb : rcpts) {
          auto r = PH_TRY(i->nested<Appended>([&]() -> base::Result<Appended> {
            auto f = PH_TRY(i->folder_by_name(*i->writer, mb, folder));
            if (!f && folder != "INBOX") f = PH_TRY(i->folder_by_name(*i->writer, mb, "INBOX"));
            if (!f) return Error(Errc::kNotFound, "no such mailbox");
            FolderRow row;
            row.id = f->id;
            row.uidvalidity = f->uidvalidity;
            return i->append_one(st, mb, row, msg, date, flags);
          }));
          out.push_back(std::move(r));
        }
        return out;
      },
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
        auto row = PH_TRY(i->folder_row(*i->writer, mb, folder));
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

// ---- folders

base::Result<std::vector<FolderInfo>> SqliteMailStore::list_folders(MailboxId mb) {
  auto lease = PH_TRY(impl_->reader());
  {
    PH_QUERY(a, *lease, "SELECT 1 FROM mail_account WHERE mailbox_id = ?");
    a->bind(1, mb);
    if (!PH_TRY(a->step())) return Error(Errc::kNotFound, "no such mailbox");
  }
  PH_QUERY(s, *lease,
           "SELECT id, name, special_use, uidvalidity, uidnext, highestmodseq, subscribed, "
           "mailbox_id FROM mail_folder WHERE mailbox_id = ? ORDER BY name");
  s->bind(1, mb);
  std::vector<FolderInfo> out;
  while (PH_TRY(s->step())) out.push_back(folder_from(*s));
  return out;
}

base::Result<FolderInfo> SqliteMailStore::folder(MailboxId mb, std::string_view name) {
  auto canon = PH_TRY(canonical_folder_name(name));
  auto lease = PH_TRY(impl_->reader());
  auto f = PH_TRY(Impl::folder_by_name(*lease, mb, canon));
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
        auto row = PH_TRY(i->folder_row(*i->writer, mb, folder));
        if (row.name == "INBOX") return Error(Errc::kInvalid, "INBOX cannot be deleted");
        PH_CHECK(i->delete_folder_row(st, mb, folder));
        return std::monostate{};
      }));
}

base::Status SqliteMailStore::rename_folder(MailboxId mb, FolderId folder,
                                            std::string_view new_name) {
  auto to = PH_TRY(canonical_folder_name(new_name));
  Impl* i = impl_.get();
  return as_status(i->submit_sync<std::monostate>([i, mb, folder, to](BatchState& st)
                                                      -> base::Result<std::monostate> {
    auto row = PH_TRY(i->folder_row(*i->writer, mb, folder));
    if (row.name == to) return std::monostate{};
    if (to == "INBOX") return Error(Errc::kConflict, "INBOX exists");
    if (to.size() > row.name.size() && to.compare(0, row.name.size(), row.name) == 0 &&
        to[row.name.size()] == kFolderSeparator)
      return Error(Errc::kInvalid, "cannot rename a folder into itself");
    if (PH_TRY(i->folder_by_name(*i->writer, mb, to))) {
      return Error(Errc::kConflict, "target folder exists");
    }
    // Missing parents of the new name are created (RFC 3501 6.3.5).
    auto slash = to.find_last_of(kFolderSeparator);
    if (slash != std::string::npos) {
      std::string parent = to.substr(0, slash);
      if (!PH_TRY(i->folder_by_name(*i->writer, mb, parent))) {
        PH_TRY(i->create_with_parents(st, mb, parent, "", true));
      }
    }
    if (row.name == "INBOX") {
      // The messages move to a new folder; INBOX stays, empty, with its UIDNEXT.
      auto nf = PH_TRY(i->create_one(st, mb, to, "", true));
      std::vector<Uid> moved;
      {
        PH_QUERY(s, *i->writer, "SELECT uid FROM mail_message WHERE folder_id = ? ORDER BY uid");
        s->bind(1, row.id);
        while (PH_TRY(s->step())) moved.push_back(static_cast<Uid>(s->col_int(0)));
      }
      {
        // The new folder takes INBOX's UIDNEXT, HIGHESTMODSEQ and counters; INBOX is empty.
        PH_QUERY(u, *i->writer,
                 "UPDATE mail_folder SET uidnext = ?, highestmodseq = ?, (messages, unseen, "
                 "deleted, bytes) = (SELECT messages, unseen, deleted, bytes FROM mail_folder "
                 "WHERE id = ?) WHERE id = ?");
        u->bind(1, static_cast<int64_t>(row.uidnext))
            .bind(2, static_cast<int64_t>(row.highestmodseq))
            .bind(3, row.id)
            .bind(4, nf.id);
        PH_CHECK(u->run());
        PH_QUERY(z, *i->writer,
                 "UPDATE mail_folder SET messages = 0, unseen = 0, deleted = 0, bytes = 0 "
                 "WHERE id = ?");
        z->bind(1, row.id);
        PH_CHECK(z->run());
      }
      {
        PH_QUERY(m, *i->writer, "UPDATE mail_message SET folder_id = ? WHERE folder_id = ?");
        m->bind(1, nf.id).bind(2, row.id);
        PH_CHECK(m->run());
      }
      if (!moved.empty()) {
        auto [modseq, unused] = PH_TRY(i->bump_folder(row.id, 0));
        (void)unused;
        for (Uid u : moved) {
          PH_QUERY(e, *i->writer,
                   "INSERT OR REPLACE INTO mail_expunged(folder_id, uid, modseq) VALUES(?, ?, ?)");
          e->bind(1, row.id).bind(2, static_cast<int64_t>(u)).bind(3, static_cast<int64_t>(modseq));
          PH_CHECK(e->run());
        }
        st.changes.push_back({mb, row.id, Change::Kind::kExpunge, 0, modseq});
      }
      return std::monostate{};
    }
    PH_QUERY(u, *i->writer,
             "UPDATE mail_folder SET name = ? || substr(name, length(?) + 1) WHERE mailbox_id = ? "
             "AND (name = ? OR substr(name, 1, length(?) + 1) = ? || '/')");
    u->bind(1, to)
        .bind(2, row.name)
        .bind(3, mb)
        .bind(4, row.name)
        .bind(5, row.name)
        .bind(6, row.name);
    PH_CHECK(u->run());
    st.changes.push_back({mb, folder, Change::Kind::kFolder, 0, 0});
    return std::monostate{};
  }));
}

base::Status SqliteMailStore::set_subscribed(MailboxId mb, FolderId folder, bool subscribed) {
  Impl* i = impl_.get();
  return as_status(i->submit_sync<std::monostate>(
      [i, mb, folder, subscribed](BatchState& st) -> base::Result<std::monostate> {
        PH_QUERY(s, *i->writer,
                 "UPDATE mail_folder SET subscribed = ? WHERE id = ? AND mailbox_id = ?");
        s->bind(1, subscribed).bind(2, folder).bind(3, mb);
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
    s->bind(1, folder).bind(2, mb);
    if (!PH_TRY(s->step())) return Error(Errc::kNotFound, "no such folder");
    st.uidvalidity = static_cast<uint32_t>(s->col_int(0));
    st.uidnext = static_cast<Uid>(s->col_int(1));
    st.highestmodseq = static_cast<ModSeq>(s->col_int(2));
    st.messages = static_cast<uint32_t>(s->col_int(3));
    st.unseen = static_cast<uint32_t>(s->col_int(4));
    st.deleted = static_cast<uint32_t>(s->col_int(5));
    st.size = static_cast<uint64_t>(s->col_int(6));
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

// ---- messages

base::Result<std::vector<Uid>> SqliteMailStore::uids(MailboxId mb, FolderId folder) {
  auto lease = PH_TRY(impl_->reader());
  PH_CHECK(Impl::check_folder(*lease, mb, folder));
  PH_QUERY(s, *lease, "SELECT uid FROM mail_message WHERE folder_id = ? ORDER BY uid");
  s->bind(1, folder);
  std::vector<Uid> out;
  while (PH_TRY(s->step())) out.push_back(static_cast<Uid>(s->col_int(0)));
  return out;
}

namespace {

// The columns meta_from() reads, in order.
#define PH_FETCH_COLS                                                                         \
  "m.uid, m.modseq, m.flags, m.keywords, m.internaldate, m.size, b.sha256, b.header_size, "   \
  "b.envelope, b.bodystructure, b.body, b.part_map, b.subject, b.base_subject, b.from_text, " \
  "b.to_text, b.cc_text, b.bcc_text, b.sort_from, b.sort_to, b.sort_cc, b.message_id, "       \
  "b.in_reply_to, b.refs, b.sent_date"

MessageMeta meta_from(Stmt& s, const FetchOptions& o) {
  MessageMeta m;
  m.uid = static_cast<Uid>(s.col_int(0));
  m.modseq = static_cast<ModSeq>(s.col_int(1));
  m.flags.system = static_cast<uint32_t>(s.col_int(2));
  m.flags.keywords = split_keywords(s.col_text(3));
  m.internaldate = s.col_int(4);
  m.size = static_cast<uint64_t>(s.col_int(5));
  if (o.flags_only) return m;
  m.blob = s.col_text(6);
  m.header_size = static_cast<uint64_t>(s.col_int(7));
  if (o.structure) {
    m.envelope = s.col_text(8);
    m.bodystructure = s.col_text(9);
    m.body = s.col_text(10);
    m.part_map = s.col_text(11);
  }
  if (o.headers) {
    HeaderInfo h;
    h.subject = s.col_text(12);
    h.base_subject = s.col_text(13);
    h.from = s.col_text(14);
    h.to = s.col_text(15);
    h.cc = s.col_text(16);
    h.bcc = s.col_text(17);
    h.sort_from = s.col_text(18);
    h.sort_to = s.col_text(19);
    h.sort_cc = s.col_text(20);
    h.message_id = s.col_text(21);
    h.in_reply_to = s.col_text(22);
    h.references = split_keywords(s.col_text(23));
    h.date = s.col_opt_int(24);
    m.headers = std::move(h);
  }
  return m;
}

}  // namespace

base::Result<std::vector<MessageMeta>> SqliteMailStore::fetch(MailboxId mb, FolderId folder,
                                                              const UidSet& set,
                                                              const FetchOptions& opts) {
  auto lease = PH_TRY(impl_->reader());
  PH_CHECK(Impl::check_folder(*lease, mb, folder));
  PH_QUERY(s, *lease,
           opts.flags_only
               ? "SELECT m.uid, m.modseq, m.flags, m.keywords, m.internaldate, m.size FROM "
                 "mail_message m WHERE m.folder_id = ? AND m.uid BETWEEN ? AND ? AND m.modseq > ? "
                 "ORDER BY m.uid"
               : "SELECT " PH_FETCH_COLS
                 " FROM mail_message m JOIN mail_blob b ON b.id = m.blob_id WHERE m.folder_id = ? "
                 "AND m.uid BETWEEN ? AND ? AND m.modseq > ? ORDER BY m.uid");
  auto run = [&](const UidRange& r, auto&& emit) -> base::Status {
    s->reset();
    s->bind(1, folder)
        .bind(2, static_cast<int64_t>(r.first))
        .bind(3, static_cast<int64_t>(r.last))
        .bind(4, static_cast<int64_t>(opts.changed_since.value_or(0)));
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
  PH_CHECK(Impl::check_folder(*lease, mb, folder));
  PH_QUERY(s, *lease,
           "SELECT " PH_FETCH_COLS
           " FROM mail_message m JOIN mail_blob b ON b.id = m.blob_id WHERE m.folder_id = ? "
           "ORDER BY m.uid LIMIT ? OFFSET ?");
  s->bind(1, folder)
      .bind(2, static_cast<int64_t>(last) - first + 1)
      .bind(3, static_cast<int64_t>(first) - 1);
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
  PH_CHECK(Impl::check_folder(*lease, mb, folder));
  PH_QUERY(s, *lease,
           "SELECT uid FROM mail_expunged WHERE folder_id = ? AND modseq > ? ORDER BY uid");
  s->bind(1, folder).bind(2, static_cast<int64_t>(since));
  std::vector<Uid> out;
  while (PH_TRY(s->step())) out.push_back(static_cast<Uid>(s->col_int(0)));
  return out;
}

base::Result<std::string> SqliteMailStore::read(MailboxId mb, FolderId folder, Uid uid,
                                                uint64_t offset, uint64_t length) {
  auto lease = PH_TRY(impl_->reader());
  Conn& c = *lease;
  int64_t blob_id = 0, size = 0;
  bool in_db = true;
  std::string sha;
  {
    PH_QUERY(s, c,
             "SELECT b.id, b.sha256, b.in_db, b.size FROM mail_message m "
             "JOIN mail_folder f ON f.id = m.folder_id JOIN mail_blob b ON b.id = m.blob_id "
             "WHERE m.folder_id = ? AND m.uid = ? AND f.mailbox_id = ?");
    s->bind(1, folder).bind(2, static_cast<int64_t>(uid)).bind(3, mb);
    if (!PH_TRY(s->step())) return Error(Errc::kNotFound, "no such message");
    blob_id = s->col_int(0);
    sha = s->col_text(1);
    in_db = s->col_int(2) != 0;
    size = s->col_int(3);
  }
  uint64_t usize = static_cast<uint64_t>(size);
  if (offset >= usize) return std::string();
  uint64_t n = std::min(length, usize - offset);
  if (!in_db) return impl_->files.read(sha, offset, n);
  // Incremental blob I/O: reads only the requested range, not the whole body.
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

base::Result<StoreFlagsResult> SqliteMailStore::store_flags(MailboxId mb, FolderId folder,
                                                            const UidSet& set, FlagOp op,
                                                            const Flags& flags,
                                                            std::optional<ModSeq> unchanged) {
  Flags want = flags;
  PH_CHECK(normalize_flags(&want));
  Impl* i = impl_.get();
  return i->submit_sync<StoreFlagsResult>(
      [i, mb, folder, set, op, want, unchanged](BatchState& st) -> base::Result<StoreFlagsResult> {
        auto row = PH_TRY(i->folder_row(*i->writer, mb, folder));
        auto rows = PH_TRY(i->select_rows(*i->writer, folder, set));
        StoreFlagsResult out;
        ModSeq modseq = 0;
        Impl::Counts delta;
        for (const auto& r : rows) {
          if (unchanged && r.modseq > *unchanged) {
            out.modified.push_back(r.uid);
            continue;
          }
          Flags cur{r.flags, split_keywords(r.keywords)};
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
          if (next.keywords.size() > 100) return Error(Errc::kLimit, "too many keywords");
          if (next == cur) {
            out.updated.push_back({r.uid, r.modseq, cur, false});
            continue;
          }
          if (modseq == 0) modseq = PH_TRY(i->bump_folder(folder, 0)).first;
          PH_QUERY(u, *i->writer,
                   "UPDATE mail_message SET flags = ?, keywords = ?, modseq = ? "
                   "WHERE folder_id = ? AND uid = ?");
          u->bind(1, static_cast<int64_t>(next.system))
              .bind(2, join_keywords(next.keywords))
              .bind(3, static_cast<int64_t>(modseq))
              .bind(4, folder)
              .bind(5, static_cast<int64_t>(r.uid));
          PH_CHECK(u->run());
          delta.add(r.flags, 0, -1);
          delta.add(next.system, 0, 1);
          out.updated.push_back({r.uid, modseq, std::move(next), true});
        }
        PH_CHECK(i->add_counts(folder, delta));
        out.highestmodseq = modseq ? modseq : row.highestmodseq;
        if (modseq) st.changes.push_back({mb, folder, Change::Kind::kFlags, 0, modseq});
        return out;
      });
}

base::Result<ExpungeResult> SqliteMailStore::expunge(MailboxId mb, FolderId folder,
                                                     const std::optional<UidSet>& only) {
  Impl* i = impl_.get();
  return i->submit_sync<ExpungeResult>(
      [i, mb, folder, only](BatchState& st) -> base::Result<ExpungeResult> {
        auto row = PH_TRY(i->folder_row(*i->writer, mb, folder));
        auto rows = PH_TRY(i->select_rows(*i->writer, folder, only ? *only : all_uids()));
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

// ---- notifications and maintenance

uint64_t SqliteMailStore::watch(MailboxId mb, ChangeCallback cb) {
  std::lock_guard lk(impl_->watch_mu);
  uint64_t t = impl_->next_token++;
  impl_->watchers[mb].emplace_back(t, std::make_shared<ChangeCallback>(std::move(cb)));
  impl_->watch_tokens[t] = mb;
  return t;
}

void SqliteMailStore::unwatch(uint64_t token) {
  {
    std::lock_guard lk(impl_->watch_mu);
    auto it = impl_->watch_tokens.find(token);
    if (it == impl_->watch_tokens.end()) return;
    auto& v = impl_->watchers[it->second];
    std::erase_if(v, [&](const auto& p) { return p.first == token; });
    if (v.empty()) impl_->watchers.erase(it->second);
    impl_->watch_tokens.erase(it);
  }
  // Wait out a notification round that may still hold the callback.
  std::lock_guard nl(impl_->notify_mu);
}

base::Result<CheckReport> SqliteMailStore::check(bool repair) {
  Impl* i = impl_.get();
  return i->submit_sync<CheckReport>(
      [i, repair](BatchState& st) { return i->check_op(st, repair); });
}

base::Result<CheckReport> SqliteMailStore::sweep_crash_debris() {
  Impl* i = impl_.get();
  return i->submit_sync<CheckReport>([i](BatchState& st) { return i->sweep_debris_op(st); });
}

}  // namespace posthouse::store::sqlite
