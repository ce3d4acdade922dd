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
