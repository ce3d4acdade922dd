#include "base/clock.h"
#include "store/sqlite/backup.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "store/blob_store.h"
#include "store/sqlite/mail_store.h"

namespace posthouse::store::sqlite {

namespace fs = std::filesystem;
using base::Errc;
using base::Error;

namespace {

constexpr int kMaxSnapshots = 5;
constexpr int kPagesPerStep = 256;
constexpr std::size_t kChunk = 1 << 20;

Error sys_error(std::string_view op, const std::string& path, int err = errno) {
  return Error(Errc::kIo, fmt::format("{} {}: {}", op, path, std::strerror(err)));
}

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

base::Status fsync_path(const std::string& path, bool dir) {
  Fd f(::open(path.c_str(), (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC));
  if (f.fd < 0) return sys_error("open", path);
  if (::fsync(f.fd) != 0) return sys_error("fsync", path);
  return {};
}

// Streams a file through SHA-256; `on_bytes` sees each chunk's size (progress).
base::Result<std::string> file_sha256(const std::string& path,
                                      const std::function<void(uint64_t)>& on_bytes = {}) {
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

// Creates every missing directory of dir and fsyncs each new one's parent.
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

// Copies from → to (created 0600, then chmod to mode) and fsyncs it.
base::Status copy_file(const std::string& from, const std::string& to, mode_t mode,
                       const std::function<void(uint64_t)>& on_bytes = {}) {
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

// Copies src (a live SQLite database) into dst with the online backup API. The source read
// transaction is held across every step, so the copy is one consistent snapshot even while
// other processes commit, and steps never restart.
base::Status snapshot_db(const std::string& src, const std::string& dst, const ProgressFn& progress,
                         BackupProgress& pr) {
  sqlite3* s = nullptr;
  sqlite3* d = nullptr;
  auto close_all = [&] {
    if (s) sqlite3_close_v2(s);
    if (d) sqlite3_close_v2(d);
  };
  if (sqlite3_open_v2(src.c_str(), &s, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    Error e(Errc::kIo, fmt::format("open {}: {}", src, s ? sqlite3_errmsg(s) : "out of memory"));
    close_all();
    return e;
  }
  sqlite3_busy_timeout(s, 10000);
  std::error_code ec;
  fs::remove(dst, ec);
  if (sqlite3_open_v2(dst.c_str(), &d, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    Error e(Errc::kIo, fmt::format("create {}: {}", dst, d ? sqlite3_errmsg(d) : "out of memory"));
    close_all();
    return e;
  }
  // Pin one read snapshot of the source for the whole copy.
  char* err = nullptr;
  if (sqlite3_exec(s, "BEGIN; SELECT count(*) FROM sqlite_master;", nullptr, nullptr, &err) !=
      SQLITE_OK) {
    Error e(Errc::kIo, fmt::format("read {}: {}", src, err ? err : "?"));
    sqlite3_free(err);
    close_all();
    return e;
  }
  sqlite3_backup* b = sqlite3_backup_init(d, "main", s, "main");
  if (!b) {
    Error e(Errc::kIo, fmt::format("backup {}: {}", src, sqlite3_errmsg(d)));
    close_all();
    return e;
  }
  int rc;
  uint64_t page_size = 4096;
  {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(s, "PRAGMA page_size", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      page_size = static_cast<uint64_t>(sqlite3_column_int64(st, 0));
    }
    sqlite3_finalize(st);
  }
  do {
    rc = sqlite3_backup_step(b, kPagesPerStep);
    uint64_t total = static_cast<uint64_t>(sqlite3_backup_pagecount(b));
    uint64_t left = static_cast<uint64_t>(sqlite3_backup_remaining(b));
    pr.bytes_total = total * page_size;
    pr.bytes_done = (total - left) * page_size;
    if (progress) progress(pr);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(b);
  sqlite3_exec(s, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_DONE) {
    Error e(Errc::kIo, fmt::format("backup {}: {}", src, sqlite3_errstr(rc)));
    close_all();
    return e;
  }
  // The copy keeps WAL mode from the source header; fold everything into the main file.
  sqlite3_exec(d, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  close_all();
  for (const char* suffix : {"-wal", "-shm"}) fs::remove(dst + suffix, ec);
  if (::chmod(dst.c_str(), 0600) != 0) return sys_error("chmod", dst);  // password hashes
  return fsync_path(dst, false);
}

struct BlobRef {
  std::string sha;
  uint64_t size;
};

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

struct Entry {
  std::string path;  // relative to the backup root
  uint64_t size = 0;
  mode_t mode = 0600;
  std::string sha256;
};

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

bool is_db_file(const std::string& rel) {
  for (const char* db : {"mail.db", "posthouse.db"}) {
    if (rel.rfind(db, 0) == 0) return true;  // the databases and their -wal/-shm/-journal
  }
  return false;
}

// Regular files of data_dir other than the databases and blobs/, relative paths.
std::vector<std::string> other_files(const std::string& data_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(data_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::string rel = fs::relative(it->path(), data_dir, ec).string();
    if (it->is_directory(ec) && rel == "blobs") {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    if (is_db_file(rel) || rel.ends_with(".tmp") || rel == "manifest.json") continue;
    out.push_back(rel);
  }
  return out;
}

}  // namespace

base::Result<BackupReport> backup(const std::string& data_dir_in, const std::string& out_in,
                                  const ProgressFn& progress) {
  std::error_code ec;
  std::string data_dir = fs::absolute(data_dir_in, ec).lexically_normal().string();
  std::string out = fs::absolute(out_in, ec).lexically_normal().string();
  if (!data_dir.empty() && data_dir.back() == '/') data_dir.pop_back();
  if (!out.empty() && out.back() == '/') out.pop_back();
  if (!fs::exists(data_dir + "/mail.db", ec) || !fs::exists(data_dir + "/posthouse.db", ec)) {
    return Error(Errc::kNotFound,
                 fmt::format("{} is not a Posthouse data dir (mail.db or posthouse.db missing)",
                             data_dir));
  }
  if (!dir_is_empty_or_absent(out)) {
    return Error(Errc::kConflict, fmt::format("backup target {} exists and is not empty", out));
  }
  if ((out + "/").rfind(data_dir + "/", 0) == 0) {
    return Error(Errc::kInvalid, "the backup target must not be inside the data dir");
  }
  PH_CHECK(make_dirs(out + "/blobs"));
  if (::chmod(out.c_str(), 0750) != 0) return sys_error("chmod", out);

  BackupReport rep;
  std::vector<Entry> entries;
  BackupProgress pr;

  // 1. mail.db and the bodies it references; re-snapshot when an expunge raced the links.
  std::set<std::string> present;  // body files already in the backup
  std::vector<BlobRef> refs;
  uint64_t linked = 0;
  for (int attempt = 1;; ++attempt) {
    rep.snapshots = attempt;
    pr = {"mail.db", 0, 1, 0, 0};
    PH_CHECK(snapshot_db(data_dir + "/mail.db", out + "/mail.db", progress, pr));
    refs = PH_TRY(referenced_blobs(out + "/mail.db"));
    pr = {"blobs", 0, refs.size(), 0, 0};
    for (const auto& r : refs) pr.bytes_total += r.size;
    bool missing = false;
    std::string missing_sha;
    for (const auto& r : refs) {
      if (!is_sha256_hex(r.sha)) {
        return Error(Errc::kInvalid, fmt::format("mail.db references a bad blob name"));
      }
      if (!present.contains(r.sha)) {
        std::string rel = blob_rel(r.sha);
        std::string from = data_dir + "/" + rel, to = out + "/" + rel;
        PH_CHECK(make_dirs(fs::path(to).parent_path().string()));
        if (::link(from.c_str(), to.c_str()) == 0) {
          ++linked;
          present.insert(r.sha);
        } else if (errno == ENOENT) {
          missing = true;
          missing_sha = r.sha;
        } else if (errno == EXDEV || errno == EPERM || errno == EMLINK) {
          auto st = copy_file(from, to, 0640);
          if (!st && st.error().code == Errc::kNotFound) {
            missing = true;
            missing_sha = r.sha;
          } else if (!st) {
            return st.error();
          } else {
            present.insert(r.sha);
          }
        } else if (errno == EEXIST) {
          present.insert(r.sha);
        } else {
          return sys_error("link", from);
        }
      }
      ++pr.items_done;
      pr.bytes_done += r.size;
      if (progress && (pr.items_done % 64 == 0 || pr.items_done == pr.items_total)) progress(pr);
    }
    if (!missing) break;
    if (attempt == kMaxSnapshots) {
      return Error(Errc::kIo,
                   fmt::format("body file {} referenced by mail.db is missing from the data dir; "
                               "run `posthouse check`",
                               blob_rel(missing_sha)));
    }
  }
  // Bodies linked for an earlier snapshot that the final one no longer references.
  std::set<std::string> wanted;
  for (const auto& r : refs) wanted.insert(r.sha);
  for (const auto& sha : present) {
    if (!wanted.contains(sha)) fs::remove(out + "/" + blob_rel(sha), ec);
  }
  rep.linked = linked;
  rep.blobs = refs.size();

  // 2. posthouse.db (directory, sessions, queue).
  pr = {"posthouse.db", 0, 1, 0, 0};
  PH_CHECK(snapshot_db(data_dir + "/posthouse.db", out + "/posthouse.db", progress, pr));

  // 3. Everything else: config, TLS material.
  auto others = other_files(data_dir);
  pr = {"files", 0, others.size(), 0, 0};
  for (const auto& rel : others) {
    struct stat sb {};
    if (::stat((data_dir + "/" + rel).c_str(), &sb) != 0) continue;  // vanished: not ours
    PH_CHECK(make_dirs(fs::path(out + "/" + rel).parent_path().string()));
    PH_CHECK(copy_file(data_dir + "/" + rel, out + "/" + rel, sb.st_mode));
    ++pr.items_done;
    if (progress) progress(pr);
  }

  // 4. Checksums of everything in the backup, then the manifest (last: marks completion).
  std::vector<std::string> all = {"mail.db", "posthouse.db"};
  for (const auto& r : refs) all.push_back(blob_rel(r.sha));
  all.insert(all.end(), others.begin(), others.end());
  pr = {"checksums", 0, all.size(), 0, 0};
  for (const auto& rel : all) pr.bytes_total += fs::file_size(out + "/" + rel, ec);
  std::set<std::string> dirs_to_sync = {out};
  for (const auto& rel : all) {
    Entry e;
    e.path = rel;
    struct stat sb {};
    if (::stat((out + "/" + rel).c_str(), &sb) != 0) return sys_error("stat", out + "/" + rel);
    e.size = static_cast<uint64_t>(sb.st_size);
    e.mode = sb.st_mode & 07777;
    e.sha256 = PH_TRY(file_sha256(out + "/" + rel, [&](uint64_t n) { pr.bytes_done += n; }));
    if (rel.rfind("blobs/", 0) == 0 && e.sha256 != fs::path(rel).filename().string()) {
      return Error(Errc::kIo, fmt::format("body file {} in the data dir does not match its name; "
                                          "run `posthouse check`",
                                          rel));
    }
    entries.push_back(std::move(e));
    dirs_to_sync.insert(fs::path(out + "/" + rel).parent_path().string());
    ++pr.items_done;
    if (progress && (pr.items_done % 64 == 0 || pr.items_done == pr.items_total)) progress(pr);
  }
  for (const auto& d : dirs_to_sync) PH_CHECK(fsync_path(d, true));
  PH_CHECK(write_manifest(out, entries));
  rep.files = entries.size();
  for (const auto& e : entries) rep.bytes += e.size;
  return rep;
}

namespace {

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

}  // namespace

base::Result<BackupReport> verify_backup(const std::string& dir, const ProgressFn& progress) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Error(Errc::kNotFound, fmt::format("backup {} does not exist", dir));
  }
  auto entries = PH_TRY(read_manifest(dir));
  BackupProgress pr{"verify", 0, entries.size(), 0, 0};
  for (const auto& e : entries) pr.bytes_total += e.size;
  BackupReport rep;
  for (const auto& e : entries) {
    std::string path = dir + "/" + e.path;
    struct stat sb {};
    if (::lstat(path.c_str(), &sb) != 0 || !S_ISREG(sb.st_mode)) {
      return Error(Errc::kInvalid, fmt::format("backup is corrupt: {} is missing", e.path));
    }
    if (static_cast<uint64_t>(sb.st_size) != e.size) {
      return Error(Errc::kInvalid,
                   fmt::format("backup is corrupt: {} has {} bytes, the manifest says {}", e.path,
                               sb.st_size, e.size));
    }
    auto sha = PH_TRY(file_sha256(path, [&](uint64_t n) { pr.bytes_done += n; }));
    if (sha != e.sha256) {
      return Error(Errc::kInvalid,
                   fmt::format("backup is corrupt: {} does not match its SHA-256 in the manifest",
                               e.path));
    }
    ++rep.files;
    rep.bytes += e.size;
    if (e.path.rfind("blobs/", 0) == 0) ++rep.blobs;
    ++pr.items_done;
    if (progress && (pr.items_done % 64 == 0 || pr.items_done == pr.items_total)) progress(pr);
  }
  for (const char* db : {"mail.db", "posthouse.db"}) PH_CHECK(integrity_check(dir + "/" + db));
  // Every body the snapshot references must be in the manifest (already checksummed).
  std::set<std::string> listed;
  for (const auto& e : entries) listed.insert(e.path);
  for (const auto& r : PH_TRY(referenced_blobs(dir + "/mail.db"))) {
    if (!is_sha256_hex(r.sha) || !listed.contains(blob_rel(r.sha))) {
      return Error(Errc::kInvalid, fmt::format("backup is corrupt: body {} referenced by mail.db "
                                               "is not in the manifest",
                                               r.sha));
    }
  }
  return rep;
}

base::Result<BackupReport> restore(const std::string& dir, const std::string& target_in,
                                   const ProgressFn& progress, std::vector<std::string>* problems) {
  std::error_code ec;
  std::string target = fs::absolute(target_in, ec).lexically_normal().string();
  if (!dir_is_empty_or_absent(target)) {
    return Error(Errc::kConflict,
                 fmt::format("restore target {} exists and is not empty; restore into a new "
                             "directory",
                             target));
  }
  BackupReport rep = PH_TRY(verify_backup(dir, progress));
  auto entries = PH_TRY(read_manifest(dir));
  PH_CHECK(make_dirs(target + "/blobs"));
  ::chmod(target.c_str(), 0750);
  BackupProgress pr{"restore", 0, entries.size(), 0, 0};
  for (const auto& e : entries) pr.bytes_total += e.size;
  std::set<std::string> dirs_to_sync = {target};
  for (const auto& e : entries) {
    std::string to = target + "/" + e.path;
    std::string parent = fs::path(to).parent_path().string();
    PH_CHECK(make_dirs(parent));
    PH_CHECK(copy_file(dir + "/" + e.path, to, e.mode, [&](uint64_t n) { pr.bytes_done += n; }));
    dirs_to_sync.insert(parent);
    ++pr.items_done;
    if (progress && (pr.items_done % 64 == 0 || pr.items_done == pr.items_total)) progress(pr);
  }
  for (const auto& d : dirs_to_sync) PH_CHECK(fsync_path(d, true));

  sqlite::MailStoreOptions mso;
  mso.data_dir = target;
  auto mail = PH_TRY(sqlite::SqliteMailStore::open(mso));
  auto report = PH_TRY(mail->check(false));
  mail->stop();
  rep.problems = report.problems.size();
  if (!report.ok()) {
    if (problems) *problems = report.problems;
    return Error(Errc::kInvalid,
                 fmt::format("the restored store in {} fails `posthouse check` ({} problems)",
                             target, report.problems.size()));
  }
  return rep;
}

}  // namespace posthouse::store::sqlite
