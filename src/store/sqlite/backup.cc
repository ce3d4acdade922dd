#include "store/sqlite/backup.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <set>

#include "base/clock.h"
#include "store/blob_store.h"
#include "store/sqlite/backup_internal.h"
#include "store/sqlite/mail_store.h"

namespace posthouse::store::sqlite {

namespace fs = std::filesystem;
using base::Errc;
using base::Error;
using namespace backup_internal;

namespace {

constexpr int kMaxSnapshots = 5;
constexpr int kPagesPerStep = 256;

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

}  // namespace posthouse::store::sqlite
