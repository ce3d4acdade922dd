// Online backup and restore of a data dir (`posthouse backup DIR`, `posthouse restore DIR`).
//
// A backup is a directory holding:
// - `mail.db` and `posthouse.db`: each a consistent snapshot taken with SQLite's online backup
//   API inside one read transaction (WAL: the running server keeps writing meanwhile);
//   `mail.db` first, `posthouse.db` just after;
// - `blobs/ab/cd/<sha256>`: every body file the `mail.db` snapshot references and nothing else,
//   hard-linked from the data dir when on the same filesystem (bodies are immutable), else
//   copied and fsync'ed;
// - every other regular file of the data dir (config, TLS key and certificate), copied;
// - `manifest.json`, written last (its presence marks a complete backup): format, creation
//   time, and per file its path, size, mode and SHA-256.
//
// Race with expunge: a body can be unlinked by the server after the snapshot was taken. The
// backup then takes a new `mail.db` snapshot (up to a few times); links made earlier keep their
// files alive, so it converges. A body missing for another reason fails the backup.
//
// Restore verifies every manifest entry (present, size, SHA-256) and the SQLite integrity of
// both databases, refuses a target that exists and is not empty, copies the files, then runs
// the message store's consistency check on the result; any failure leaves a clear error.
//
// Contract: blocking, single-threaded calls for the CLI (not for the event loop). Errors:
// kInvalid for a corrupt or incomplete backup, kConflict for a non-empty target, kNotFound for
// a missing data dir or backup, kIo for file-system errors. Messages name paths, never contents.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"

namespace posthouse::store::sqlite {

inline constexpr const char* kBackupFormat = "posthouse-backup-1";

struct BackupProgress {
  std::string phase;  // "mail.db", "posthouse.db", "blobs", "files", "verify", "restore"
  uint64_t items_done = 0, items_total = 0;
  uint64_t bytes_done = 0, bytes_total = 0;
};
using ProgressFn = std::function<void(const BackupProgress&)>;

struct BackupReport {
  uint64_t files = 0;       // manifest entries
  uint64_t bytes = 0;       // their total size
  uint64_t blobs = 0;       // body files
  uint64_t linked = 0;      // body files hard-linked rather than copied
  int snapshots = 0;        // mail.db snapshots taken (more than 1 after an expunge race)
  uint64_t problems = 0;    // restore: consistency problems found (0 on success)
};

// Snapshots data_dir into out_dir, which must not exist or be empty.
base::Result<BackupReport> backup(const std::string& data_dir, const std::string& out_dir,
                                  const ProgressFn& progress = {});

// Checks a backup against its manifest and the SQLite integrity of its databases.
base::Result<BackupReport> verify_backup(const std::string& backup_dir,
                                         const ProgressFn& progress = {});

// verify_backup, then copies the backup into target (must not exist or be empty), then runs
// the message store check on it. problems are listed in *problems when the check fails.
base::Result<BackupReport> restore(const std::string& backup_dir, const std::string& target,
                                   const ProgressFn& progress = {},
                                   std::vector<std::string>* problems = nullptr);

}  // namespace posthouse::store::sqlite
