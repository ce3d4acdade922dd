#include "store/fault_file.h"

#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>

namespace posthouse::store {

void FaultFileEnv::refresh() {
  struct stat sb {};
  bool present = ::stat(control_.c_str(), &sb) == 0;
  int64_t mtime = present ? static_cast<int64_t>(sb.st_mtim.tv_sec) * 1000000000 +
                                sb.st_mtim.tv_nsec
                          : -2;
  int64_t size = present ? static_cast<int64_t>(sb.st_size) : -2;
  uint64_t ino = present ? static_cast<uint64_t>(sb.st_ino) : 0;
  std::lock_guard lk(mu_);
  if (mtime == seen_.mtime_ns && size == seen_.size && ino == seen_.ino) return;
  seen_ = {mtime, size, ino};
  std::set<std::string> words;
  if (present) {
    std::ifstream in(control_);
    std::string w;
    while (in >> w) words.insert(w);
  }
  fail_write = words.count("write") > 0;
  fail_sync = words.count("sync") > 0;
  fail_rename = words.count("rename") > 0;
  fail_sync_dir = words.count("sync_dir") > 0;
  fail_read = words.count("read") > 0;
  fail_commit = words.count("commit") > 0;
}

base::Status FaultFileEnv::before_commit() {
  refresh();
  if (fail_commit) return errno_error(EIO, "commit (injected fault)", control_);
  return {};
}

base::Result<std::unique_ptr<WritableFile>> FaultFileEnv::open_writable(const std::string& path) {
  refresh();
  return FaultyFsEnv::open_writable(path);
}

base::Status FaultFileEnv::rename(const std::string& from, const std::string& to) {
  refresh();
  return FaultyFsEnv::rename(from, to);
}

base::Status FaultFileEnv::sync_dir(const std::string& dir) {
  refresh();
  return FaultyFsEnv::sync_dir(dir);
}

base::Result<std::string> FaultFileEnv::read(const std::string& path, uint64_t offset,
                                             uint64_t length) {
  refresh();
  return FaultyFsEnv::read(path, offset, length);
}

}  // namespace posthouse::store
