#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "base/clock.h"
#include "store/blob_store.h"
#include "store/sqlite/backup_internal.h"

namespace posthouse::store::sqlite::backup_internal {

namespace fs = std::filesystem;
using base::Errc;
using base::Error;

Error sys_error(std::string_view op, const std::string& path, int err) {
  return Error(Errc::kIo, fmt::format("{} {}: {}", op, path, std::strerror(err)));
}

Fd::Fd(int f) : fd(f) {}
Fd::~Fd() {
  if (fd >= 0) ::close(fd);
}

Error sys_error(std::string_view op, const std::string& path) { return sys_error(op, path, errno); }

base::Status fsync_path(const std::string& path, bool dir) {
  Fd f(::open(path.c_str(), (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC));
  if (f.fd < 0) return sys_error("open", path);
  if (::fsync(f.fd) != 0) return sys_error("fsync", path);
  return {};
}

base::Result<std::string> file_sha256(const std::string& path,
                                      const std::function<void(uint64_t)>& on_bytes) {
  Fd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (f.fd < 0) return sys_error("open", path);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Error(Errc::kInternal, "sha256 init failed");
  }
  std::string buf(kChunk, '\0');
  while (true) {
    ssize_t n = ::read(f.fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read", path);
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(n));
    if (on_bytes) on_bytes(static_cast<uint64_t>(n));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

base::Status make_dirs(const std::string& dir) {
  std::vector<fs::path> created;
  fs::path p = dir;
  for (fs::path cur = p; !cur.empty() && !fs::exists(cur); cur = cur.parent_path()) {
    created.push_back(cur);
    if (cur == cur.parent_path()) break;
  }
  for (auto it = created.rbegin(); it != created.rend(); ++it) {
    if (::mkdir(it->c_str(), 0750) != 0 && errno != EEXIST) return sys_error("mkdir", *it);
  }
  for (const auto& c : created) {
    if (auto st = fsync_path(c.parent_path().empty() ? "." : c.parent_path().string(), true); !st) {
      return st;
    }
  }
  return {};
}

base::Status copy_file(const std::string& from, const std::string& to, mode_t mode,
                       const std::function<void(uint64_t)>& on_bytes) {
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.fd < 0) {
    if (errno == ENOENT) return Error(Errc::kNotFound, fmt::format("{} is missing", from));
    return sys_error("open", from);
  }
  Fd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (out.fd < 0) return sys_error("create", to);
  std::string buf(kChunk, '\0');
  while (true) {
    ssize_t n = ::read(in.fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read", from);
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(out.fd, buf.data() + off, static_cast<std::size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return sys_error("write", to);
      off += w;
    }
    if (on_bytes) on_bytes(static_cast<uint64_t>(n));
  }
  if (::fchmod(out.fd, mode & 07777) != 0) return sys_error("chmod", to);
  if (::fsync(out.fd) != 0) return sys_error("fsync", to);
  if (::close(out.fd) != 0) {
    out.fd = -1;
    return sys_error("close", to);
  }
  out.fd = -1;
  return {};
}

bool dir_is_empty_or_absent(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return true;
  return fs::is_directory(dir, ec) && fs::is_empty(dir, ec);
}

base::Result<std::vector<BlobRef>> referenced_blobs(const std::string& mail_db) {
  sqlite3* d = nullptr;
  if (sqlite3_open_v2(mail_db.c_str(), &d, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close_v2(d);
    return Error(Errc::kIo, fmt::format("open {}", mail_db));
  }
  std::vector<BlobRef> out;
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(d, "SELECT sha256, size FROM mail_blob WHERE in_db = 0", -1, &st,
                              nullptr);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      out.push_back({reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                     static_cast<uint64_t>(sqlite3_column_int64(st, 1))});
    }
  }
  sqlite3_finalize(st);
  std::string msg = sqlite3_errmsg(d);
  sqlite3_close_v2(d);
  if (rc != SQLITE_DONE) return Error(Errc::kIo, fmt::format("read {}: {}", mail_db, msg));
  return out;
}

std::string blob_rel(const std::string& sha) {
  return fmt::format("blobs/{}/{}/{}", sha.substr(0, 2), sha.substr(2, 2), sha);
}

base::Status write_manifest(const std::string& dir, const std::vector<Entry>& entries) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& e : entries) {
    files.push_back({{"path", e.path}, {"size", e.size}, {"mode", e.mode & 07777},
                     {"sha256", e.sha256}});
  }
  nlohmann::json m = {{"format", kBackupFormat},
                      {"created", base::unix_now()},
                      {"posthouse", POSTHOUSE_VERSION},
                      {"files", files}};
  std::string text = m.dump(1) + "\n";
  std::string tmp = dir + "/manifest.json.tmp";
  {
    Fd f(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (f.fd < 0) return sys_error("create", tmp);
    if (::write(f.fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      return sys_error("write", tmp);
    }
    if (::fsync(f.fd) != 0) return sys_error("fsync", tmp);
  }
  if (::rename(tmp.c_str(), (dir + "/manifest.json").c_str()) != 0) return sys_error("rename", tmp);
  return fsync_path(dir, true);
}

base::Result<std::vector<Entry>> read_manifest(const std::string& dir) {
  std::string path = dir + "/manifest.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return Error(Errc::kInvalid,
                 fmt::format("{} has no manifest.json: not a complete Posthouse backup", dir));
  }
  auto size = fs::file_size(path, ec);
  if (ec || size > (256u << 20)) return Error(Errc::kInvalid, "manifest.json is unreadable");
  std::string text(size, '\0');
  {
    Fd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (f.fd < 0) return sys_error("open", path);
    if (::read(f.fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      return sys_error("read", path);
    }
  }
  auto m = nlohmann::json::parse(text, nullptr, false);
  if (m.is_discarded() || !m.is_object() || m.value("format", "") != kBackupFormat ||
      !m.contains("files") || !m["files"].is_array()) {
    return Error(Errc::kInvalid, "manifest.json is corrupt or not a Posthouse backup manifest");
  }
  std::vector<Entry> out;
  std::set<std::string> seen;
  for (const auto& f : m["files"]) {
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string() ||
        !f.contains("size") || !f["size"].is_number_unsigned() || !f.contains("sha256") ||
        !f["sha256"].is_string() || !f.contains("mode") || !f["mode"].is_number_unsigned()) {
      return Error(Errc::kInvalid, "manifest.json has a malformed file entry");
    }
    Entry e;
    e.path = f["path"].get<std::string>();
    e.size = f["size"].get<uint64_t>();
    e.mode = static_cast<mode_t>(f["mode"].get<uint64_t>() & 0777);
    e.sha256 = f["sha256"].get<std::string>();
    fs::path p(e.path);
    bool safe = !e.path.empty() && p.is_relative();
    for (const auto& part : p) safe = safe && part != ".." && part != ".";
    if (!safe || !is_sha256_hex(e.sha256) || !seen.insert(e.path).second) {
      return Error(Errc::kInvalid, "manifest.json has an unsafe or duplicate path");
    }
    out.push_back(std::move(e));
  }
  for (const char* db : {"mail.db", "posthouse.db"}) {
    if (!seen.contains(db)) {
      return Error(Errc::kInvalid, fmt::format("manifest.json does not list {}", db));
    }
  }
  return out;
}

base::Status integrity_check(const std::string& db_path) {
  sqlite3* d = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &d, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close_v2(d);
    return Error(Errc::kInvalid, fmt::format("{} is not a readable SQLite database", db_path));
  }
  sqlite3_stmt* st = nullptr;
  std::string result;
  if (sqlite3_prepare_v2(d, "PRAGMA integrity_check(1)", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(st, 0);
    result = t ? reinterpret_cast<const char*>(t) : "";
  } else {
    result = sqlite3_errmsg(d);
  }
  sqlite3_finalize(st);
  sqlite3_close_v2(d);
  if (result != "ok") {
    return Error(Errc::kInvalid, fmt::format("{} fails SQLite's integrity check: {}", db_path,
                                             result));
  }
  return {};
}

}  // namespace posthouse::store::sqlite::backup_internal
