// SpoolFile: the temporary file a message being received is written to, so an SMTP session
// holds only a small window of it in memory (docs/smtp.md, "Memory"). Spool files live in
// `<data_dir>/spool/` and have no name: they are opened with O_TMPFILE (where the filesystem
// lacks it, created under a random name and unlinked at once), so the space goes back to the
// filesystem when the file is closed: on delivery, refusal, RSET, disconnect, and on a crash.
//
// Contract:
// - Not synced: a spool file is scratch space, never the durable copy. The message store makes
//   the message durable before the SMTP 250 (store/mail_store.h).
// - Used by one thread at a time (the session hands it to a BlockingPool thread and awaits).
// - Errors: ENOSPC/EDQUOT → kTemporary ("disk full"), anything else → kIo (store/fs_env.h).
// - POSIX directly rather than through FsEnv: FsEnv models named files only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace posthouse::store {

class SpoolFile {
 public:
  // A new, empty, nameless file in dir (created if missing).
  static base::Result<std::unique_ptr<SpoolFile>> create(const std::string& dir);
  ~SpoolFile();
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;

  base::Status append(std::string_view data);
  uint64_t size() const { return size_; }
  // Exactly n bytes from offset into dst; offset + n must not pass size().
  base::Status read_at(uint64_t offset, char* dst, std::size_t n) const;

 private:
  SpoolFile(int fd, std::string dir) : fd_(fd), dir_(std::move(dir)) {}
  int fd_;
  std::string dir_;  // for error messages
  uint64_t size_ = 0;
};

// Removes every file in dir. Only the fallback path can leave one (a crash between its
// creation and its unlink); `serve` calls this once at start, before any session. Returns how
// many files it removed; a missing dir is 0.
base::Result<int> sweep_spool(const std::string& dir);

}  // namespace posthouse::store
