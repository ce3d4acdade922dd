// FsEnv: the filesystem seam of the store (leveldb's Env). Every file operation the blob store
// performs goes through it, so tests can inject ENOSPC, EIO and fsync failures (FaultyFsEnv)
// and check that nothing is acknowledged that is not durable.
//
// Contract:
// - Methods are thread-safe (the POSIX implementation holds no state; FaultyFsEnv uses atomics).
// - Errors: ENOSPC/EDQUOT → Errc::kTemporary ("disk full"), ENOENT → Errc::kNotFound, anything
//   else → Errc::kIo; the message names the operation and path, never file contents.
// - A WritableFile is used by one thread; close() is implied by destruction (errors lost then:
//   call sync() before relying on the data).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace posthouse::store {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual base::Status append(std::string_view data) = 0;
  virtual base::Status sync() = 0;  // fdatasync: data and the size are durable when OK
  virtual base::Status close() = 0;
};

class FsEnv {
 public:
  virtual ~FsEnv() = default;
  // Creates or truncates path for writing.
  virtual base::Result<std::unique_ptr<WritableFile>> open_writable(const std::string& path) = 0;
  // Atomic replace (rename(2)); durable only after sync_dir() of the target's directory.
  virtual base::Status rename(const std::string& from, const std::string& to) = 0;
  virtual base::Status sync_dir(const std::string& dir) = 0;
  virtual base::Status remove(const std::string& path) = 0;
  // mkdir -p; appends every directory it created to *created (their parents need sync_dir).
  virtual base::Status make_dirs(const std::string& dir, std::vector<std::string>* created) = 0;
  // Up to `length` bytes from `offset` (fewer at the end of the file).
  virtual base::Result<std::string> read(const std::string& path, uint64_t offset,
                                         uint64_t length) = 0;
  virtual base::Result<uint64_t> file_size(const std::string& path) = 0;
  // Regular files below dir, as paths relative to dir, recursively. Missing dir → empty.
  virtual base::Result<std::vector<std::string>> list_files(const std::string& dir) = 0;

  // The process-wide POSIX implementation.
  static FsEnv& posix();
};

// Wraps another FsEnv and fails chosen operations on demand (tests, fault drills).
// Each switch applies to every later call until cleared.
class FaultyFsEnv : public FsEnv {
 public:
  explicit FaultyFsEnv(FsEnv& base) : base_(base) {}

  std::atomic<bool> fail_write{false};     // append() → ENOSPC
  std::atomic<bool> fail_sync{false};      // WritableFile::sync() → EIO
  std::atomic<bool> fail_rename{false};    // rename() → EIO
  std::atomic<bool> fail_sync_dir{false};  // sync_dir() → EIO
  std::atomic<bool> fail_read{false};      // read() → EIO
  std::atomic<int> syncs{0};               // successful file syncs, for assertions

  base::Result<std::unique_ptr<WritableFile>> open_writable(const std::string& path) override;
  base::Status rename(const std::string& from, const std::string& to) override;
  base::Status sync_dir(const std::string& dir) override;
  base::Status remove(const std::string& path) override { return base_.remove(path); }
  base::Status make_dirs(const std::string& dir, std::vector<std::string>* created) override {
    return base_.make_dirs(dir, created);
  }
  base::Result<std::string> read(const std::string& path, uint64_t offset,
                                 uint64_t length) override;
  base::Result<uint64_t> file_size(const std::string& path) override {
    return base_.file_size(path);
  }
  base::Result<std::vector<std::string>> list_files(const std::string& dir) override {
    return base_.list_files(dir);
  }

 private:
  FsEnv& base_;
};

// errno → base::Error per the contract above.
base::Error errno_error(int err, std::string_view op, const std::string& path);

}  // namespace posthouse::store
