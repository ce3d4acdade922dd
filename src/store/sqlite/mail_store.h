// SqliteMailStore: the embedded MailStore backend (SQLite WAL + content-addressed blobs).
//
// Threads and connections:
// - One writer thread owns the only writing connection. Every mutation (delivery, APPEND,
//   flags, expunge, copy/move, folder changes, check) is queued to it; it takes up to
//   `max_batch` queued operations and runs them in ONE transaction (each inside its own
//   SAVEPOINT, so one operation's refusal, e.g. over quota, does not touch the others), writes
//   and fsyncs the batch's large blob files, commits (one WAL fsync for the whole batch), and
//   only then completes each caller. If the blob writes or the commit fail, every operation of
//   the batch fails (kTemporary for disk full/busy, kIo otherwise) and nothing is visible.
//   This is group commit: at concurrency N, N deliveries share one fsync.
// - Batching wait: when the previous batch held more than one operation (there is
//   concurrency), the writer waits up to `batch_wait` until as many operations as last time
//   are queued, then commits; a lone caller never waits.
// - Readers use a pool of separate connections (WAL: reads never block on the writer), each
//   with its statements prepared once and reused.
//
// Lifetime: open() starts the writer; stop() (or the destructor) lets it finish every queued
// operation, then joins it; calls after stop() fail with kUnavailable. Callers must not
// destroy the store while another thread is inside one of its methods.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "mime/message.h"
#include "store/blob_store.h"
#include "store/fs_env.h"
#include "store/mail_store.h"

namespace posthouse::store::sqlite {

struct MailStoreOptions {
  std::string data_dir;                     // required; blobs go to <data_dir>/blobs
  std::string db_path;                      // default <data_dir>/mail.db
  uint64_t inline_max = kDefaultInlineMax;  // bodies up to this size live in the database
  std::chrono::microseconds batch_wait{2000};
  size_t max_batch = 256;
  size_t max_idle_readers = 16;  // reader connections kept open when idle
  uint64_t max_message_size = 128ull << 20;
  mime::Limits mime_limits;
  // SEARCH SUBJECT/BODY/TEXT index (the mail_search table); off: search_text() answers nullopt
  // and new bodies are not indexed (check reports no index problems then).
  bool search_index = true;
  FsEnv* env = nullptr;  // default FsEnv::posix(); tests pass a FaultyFsEnv
  // Fault seam for the metadata commit: called on the writer thread after a batch's blob
  // files are durable, just before COMMIT; an error fails the batch as a failed commit would.
  // Unset in production.
  std::function<base::Status()> before_commit;
};

class SqliteMailStore final : public MailStore {
 public:
  // Creates data_dir if needed, opens and migrates the database, starts the writer thread.
  static base::Result<std::unique_ptr<SqliteMailStore>> open(MailStoreOptions opts);
  ~SqliteMailStore() override;
  void stop();

  base::Status ensure_mailbox(MailboxId mb, const std::vector<FolderSpec>& folders) override;
  base::Status set_quota(MailboxId mb, std::optional<uint64_t> bytes,
                         std::optional<uint64_t> messages) override;
  base::Result<Quota> quota(MailboxId mb) override;
  base::Status delete_mailbox(MailboxId mb) override;

  DeliveryResult deliver(Delivery d) override;
  void deliver_async(Delivery d, std::function<void(DeliveryResult)> done) override;
  base::Result<Appended> append(MailboxId mb, FolderId folder, std::string raw,
                                int64_t internaldate, Flags flags) override;
  void append_async(MailboxId mb, FolderId folder, std::string raw, int64_t internaldate,
                    Flags flags, std::function<void(base::Result<Appended>)> done) override;
  base::Result<AppendManyResult> append_many(MailboxId mb, FolderId folder,
                                             std::vector<AppendItem> items,
                                             std::optional<ReplaceOf> replaces) override;

  base::Result<std::vector<FolderInfo>> list_folders(MailboxId mb) override;
  base::Result<FolderInfo> folder(MailboxId mb, std::string_view name) override;
  base::Result<FolderInfo> create_folder(MailboxId mb, std::string_view name,
                                         std::string_view special_use = {}) override;
  base::Status delete_folder(MailboxId mb, FolderId folder) override;
  base::Status rename_folder(MailboxId mb, FolderId folder, std::string_view new_name) override;
  base::Status set_subscribed(MailboxId mb, FolderId folder, bool subscribed) override;
  base::Result<FolderStatus> status(MailboxId mb, FolderId folder) override;

  base::Result<std::vector<Uid>> uids(MailboxId mb, FolderId folder) override;
  base::Result<std::vector<MessageMeta>> fetch(MailboxId mb, FolderId folder, const UidSet& set,
                                               const FetchOptions& opts) override;
  base::Result<std::vector<MessageMeta>> fetch_seq(MailboxId mb, FolderId folder, uint32_t first,
                                                   uint32_t last,
                                                   const FetchOptions& opts) override;
  base::Result<std::vector<Uid>> expunged_since(MailboxId mb, FolderId folder,
                                                ModSeq since) override;
  base::Result<std::string> read(MailboxId mb, FolderId folder, Uid uid, uint64_t offset = 0,
                                 uint64_t length = std::numeric_limits<uint64_t>::max()) override;
  base::Result<std::optional<std::vector<Uid>>> search_text(MailboxId mb, FolderId folder,
                                                            TextField field,
                                                            std::string_view needle) override;
  base::Result<StoreFlagsResult> store_flags(MailboxId mb, FolderId folder, const UidSet& set,
                                             FlagOp op, const Flags& flags,
                                             std::optional<ModSeq> unchanged_since) override;
  base::Result<ExpungeResult> expunge(MailboxId mb, FolderId folder,
                                      const std::optional<UidSet>& only) override;
  base::Result<CopyResult> copy(MailboxId mb, FolderId from, const UidSet& set,
                                FolderId to) override;
  base::Result<CopyResult> move(MailboxId mb, FolderId from, const UidSet& set,
                                FolderId to) override;

  uint64_t watch(MailboxId mb, ChangeCallback cb) override;
  void unwatch(uint64_t token) override;

  base::Result<CheckReport> check(bool repair) override;
  // What a crash leaves behind and nothing else: body files of a batch that never committed
  // (renamed into place, no row) and temporaries. `serve` calls it once at startup, before
  // any writer work, so nothing in flight can be mistaken for debris. Never touches a
  // referenced file; a missing or damaged one stays for `check` to report.
  base::Result<CheckReport> sweep_crash_debris();

  // Statistics for tests and metrics: batches committed, operations they held, and operations
  // waiting for the writer now.
  struct Stats {
    uint64_t batches = 0;
    uint64_t ops = 0;
    uint64_t queued = 0;
  };
  Stats stats() const;

  struct Impl;

 private:
  explicit SqliteMailStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Folder name rules shared with other backends: canonical "INBOX" (any case), UTF-8, no
// control characters, no empty, "." or ".." component, at most 512 octets.
base::Result<std::string> canonical_folder_name(std::string_view name);

}  // namespace posthouse::store::sqlite
