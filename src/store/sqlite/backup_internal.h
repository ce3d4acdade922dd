// Internals of the backup: the file helpers (every write fsynced), the manifest and the
// checks that backup, verify and restore share. Not an interface: only backup*.cc include it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/sqlite/backup.h"

namespace posthouse::store::sqlite::backup_internal {

inline constexpr std::size_t kChunk = 1 << 20;

// An owned file descriptor, closed on scope exit.
struct Fd {
  int fd = -1;
  explicit Fd(int f);
  ~Fd();
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

base::Error sys_error(std::string_view op, const std::string& path, int err);
base::Error sys_error(std::string_view op, const std::string& path);
base::Status fsync_path(const std::string& path, bool dir);
// Streams a file through SHA-256; `on_bytes` sees each chunk's size (progress).
base::Result<std::string> file_sha256(const std::string& path,
                                      const std::function<void(uint64_t)>& on_bytes = {});
// Creates every missing directory of dir and fsyncs each new one's parent.
base::Status make_dirs(const std::string& dir);
// Copies from → to (created 0600, then chmod to mode) and fsyncs it.
base::Status copy_file(const std::string& from, const std::string& to, mode_t mode,
                       const std::function<void(uint64_t)>& on_bytes = {});
bool dir_is_empty_or_absent(const std::string& dir);

// The message bodies mail.db keeps as files (in_db = 0).
struct BlobRef {
  std::string sha;
  uint64_t size;
};
base::Result<std::vector<BlobRef>> referenced_blobs(const std::string& mail_db);
std::string blob_rel(const std::string& sha);

// One file of a backup, as manifest.json lists it.
struct Entry {
  std::string path;  // relative to the backup root
  uint64_t size = 0;
  mode_t mode = 0600;
  std::string sha256;
};
base::Status write_manifest(const std::string& dir, const std::vector<Entry>& entries);
base::Result<std::vector<Entry>> read_manifest(const std::string& dir);
// PRAGMA integrity_check on a database file, read-only.
base::Status integrity_check(const std::string& db_path);

}  // namespace posthouse::store::sqlite::backup_internal
