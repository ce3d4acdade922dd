#include "store/fs_env.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace posthouse::store {

using base::Errc;
using base::Error;

Error errno_error(int err, std::string_view op, const std::string& path) {
  Errc code = Errc::kIo;
  if (err == ENOSPC || err == EDQUOT) code = Errc::kTemporary;
  if (err == ENOENT) code = Errc::kNotFound;
  return Error(code, fmt::format("{} {}: {}", op, path, std::strerror(err)));
}

namespace {

class PosixFile : public WritableFile {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  base::Status append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_error(errno, "write", path_);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
  }
  base::Status sync() override {
    if (::fdatasync(fd_) != 0) return errno_error(errno, "fdatasync", path_);
    return {};
  }
  base::Status close() override {
    int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0) return errno_error(errno, "close", path_);
    return {};
  }

 private:
  int fd_;
  std::string path_;
};

class PosixEnv : public FsEnv {
 public:
  base::Result<std::unique_ptr<WritableFile>> open_writable(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) return errno_error(errno, "open", path);
    return std::unique_ptr<WritableFile>(new PosixFile(fd, path));
  }

  base::Status rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return errno_error(errno, "rename", from);
    return {};
  }

  base::Status sync_dir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_error(errno, "open dir", dir);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return errno_error(err, "fsync dir", dir);
    return {};
  }

  base::Status remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return errno_error(errno, "unlink", path);
    return {};
  }

  base::Status make_dirs(const std::string& dir, std::vector<std::string>* created) override {
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) return {};
      return Error(Errc::kIo, fmt::format("mkdir {}: not a directory", dir));
    }
    size_t slash = dir.find_last_of('/');
    if (slash != std::string::npos && slash > 0) {
      PH_CHECK(make_dirs(dir.substr(0, slash), created));
    }
    if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
      return errno_error(errno, "mkdir", dir);
    }
    if (created) created->push_back(dir);
    return {};
  }

  base::Result<std::string> read(const std::string& path, uint64_t offset,
                                 uint64_t length) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno_error(errno, "open", path);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return errno_error(err, "stat", path);
    }
    uint64_t size = static_cast<uint64_t>(st.st_size);
    uint64_t n = offset >= size ? 0 : std::min(length, size - offset);
    std::string out(n, '\0');
    uint64_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd, out.data() + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        int err = r < 0 ? errno : EIO;
        ::close(fd);
        return errno_error(err, "read", path);
      }
      got += static_cast<uint64_t>(r);
    }
    ::close(fd);
    return out;
  }

  base::Result<uint64_t> file_size(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return errno_error(errno, "stat", path);
    return static_cast<uint64_t>(st.st_size);
  }

  base::Result<std::vector<std::string>> list_files(const std::string& dir) override {
    std::vector<std::string> out;
    PH_CHECK(walk(dir, "", &out, 0));
    return out;
  }

 private:
  base::Status walk(const std::string& root, const std::string& rel, std::vector<std::string>* out,
                    int depth) {
    std::string path = rel.empty() ? root : root + "/" + rel;
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) {
      if (errno == ENOENT && depth == 0) return {};
      return errno_error(errno, "opendir", path);
    }
    base::Status st;
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      std::string child = rel.empty() ? name : rel + "/" + name;
      struct stat s;
      if (::lstat((root + "/" + child).c_str(), &s) != 0) continue;
      if (S_ISDIR(s.st_mode) && depth < 8) {
        st = walk(root, child, out, depth + 1);
        if (!st) break;
      } else if (S_ISREG(s.st_mode)) {
        out->push_back(child);
      }
    }
    ::closedir(d);
    return st;
  }
};

class FaultyFile : public WritableFile {
 public:
  FaultyFile(std::unique_ptr<WritableFile> f, FaultyFsEnv& env, std::string path)
      : f_(std::move(f)), env_(env), path_(std::move(path)) {}
  base::Status append(std::string_view data) override {
    if (env_.fail_write) return errno_error(ENOSPC, "write", path_);
    return f_->append(data);
  }
  base::Status sync() override {
    if (env_.fail_sync) return errno_error(EIO, "fdatasync", path_);
    PH_CHECK(f_->sync());
    ++env_.syncs;
    return {};
  }
  base::Status close() override { return f_->close(); }

 private:
  std::unique_ptr<WritableFile> f_;
  FaultyFsEnv& env_;
  std::string path_;
};

}  // namespace

FsEnv& FsEnv::posix() {
  static PosixEnv env;
  return env;
}

base::Result<std::unique_ptr<WritableFile>> FaultyFsEnv::open_writable(const std::string& path) {
  auto f = PH_TRY(base_.open_writable(path));
  return std::unique_ptr<WritableFile>(new FaultyFile(std::move(f), *this, path));
}

base::Status FaultyFsEnv::rename(const std::string& from, const std::string& to) {
  if (fail_rename) return errno_error(EIO, "rename", from);
  return base_.rename(from, to);
}

base::Status FaultyFsEnv::sync_dir(const std::string& dir) {
  if (fail_sync_dir) return errno_error(EIO, "fsync dir", dir);
  return base_.sync_dir(dir);
}

base::Result<std::string> FaultyFsEnv::read(const std::string& path, uint64_t offset,
                                            uint64_t length) {
  if (fail_read) return errno_error(EIO, "read", path);
  return base_.read(path, offset, length);
}

}  // namespace posthouse::store
