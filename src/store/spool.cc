#include "store/spool.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "base/ids.h"
#include "store/fs_env.h"

namespace posthouse::store {

using base::Errc;
using base::Error;

namespace {

base::Status make_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return errno_error(ec.value(), "mkdir", dir);
  return {};
}

// A named file unlinked at once: the fallback for filesystems without O_TMPFILE.
int open_unlinked(const std::string& dir, int* err) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string path = fmt::format("{}/{}.tmp", dir, base::random_hex(12));
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      *err = errno;
      if (errno == EEXIST) continue;
      return -1;
    }
    ::unlink(path.c_str());
    return fd;
  }
  return -1;
}

}  // namespace

base::Result<std::unique_ptr<SpoolFile>> SpoolFile::create(const std::string& dir) {
  PH_CHECK(make_dir(dir));
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  int err = errno;
  if (fd < 0 && (err == EOPNOTSUPP || err == EISDIR || err == EINVAL))
    fd = open_unlinked(dir, &err);
  if (fd < 0) return errno_error(err, "create spool file in", dir);
  return std::unique_ptr<SpoolFile>(new SpoolFile(fd, dir));
}

SpoolFile::~SpoolFile() { ::close(fd_); }

base::Status SpoolFile::append(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(size_));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, "write spool file in", dir_);
    }
    size_ += static_cast<uint64_t>(n);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

base::Status SpoolFile::read_at(uint64_t offset, char* dst, std::size_t n) const {
  if (offset > size_ || n > size_ - offset)
    return Error(Errc::kInternal, "spool read past the end");
  while (n > 0) {
    ssize_t r = ::pread(fd_, dst, n, static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, "read spool file in", dir_);
    }
    if (r == 0) return Error(Errc::kIo, fmt::format("spool file in {} is short", dir_));
    dst += r;
    offset += static_cast<uint64_t>(r);
    n -= static_cast<std::size_t>(r);
  }
  return {};
}

base::Result<int> sweep_spool(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return 0;
  int removed = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (!e.is_regular_file(ec)) continue;
    if (std::filesystem::remove(e.path(), ec)) ++removed;
    if (ec) return errno_error(ec.value(), "remove", e.path().string());
  }
  if (ec) return errno_error(ec.value(), "list", dir);
  return removed;
}

}  // namespace posthouse::store
