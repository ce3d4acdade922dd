// FaultFileEnv: fault injection in a running server, driven by a control file (testing only).
//
// `serve` uses it when the config names `[testing] fault_file` (off by default). Before each
// file operation (and before each mail store commit, via before_commit()) it looks at the control
// file: absent or empty means no fault; otherwise each whitespace-separated word switches one on:
//   write     every append to a body file fails with ENOSPC (disk full)
//   sync      every fdatasync of a body file fails with EIO
//   rename    renaming a body file into place fails with EIO
//   sync_dir  the directory fsync after it fails with EIO
//   read      reading a body file fails with EIO
//   commit    every mail store commit fails (as SQLite's ENOSPC/EIO would), nothing is applied
// Unknown words are ignored. A test writes the file to start a fault and removes it to clear.
//
// Contract: thread-safe; the control file is re-read only when its mtime, size or inode
// change (one stat per operation). Never used unless configured.
#pragma once

#include <mutex>
#include <string>

#include "store/fs_env.h"

namespace posthouse::store {

class FaultFileEnv : public FaultyFsEnv {
 public:
  FaultFileEnv(FsEnv& base, std::string control_path)
      : FaultyFsEnv(base), control_(std::move(control_path)) {}

  std::atomic<bool> fail_commit{false};

  // Re-reads the control file if it changed.
  void refresh();
  // For MailStoreOptions::before_commit: fails while `commit` is on.
  base::Status before_commit();

  base::Result<std::unique_ptr<WritableFile>> open_writable(const std::string& path) override;
  base::Status rename(const std::string& from, const std::string& to) override;
  base::Status sync_dir(const std::string& dir) override;
  base::Result<std::string> read(const std::string& path, uint64_t offset,
                                 uint64_t length) override;

 private:
  std::string control_;
  std::mutex mu_;
  struct {
    int64_t mtime_ns = -1, size = -1;
    uint64_t ino = 0;
  } seen_;
};

}  // namespace posthouse::store
