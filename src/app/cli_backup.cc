#include "app/cli_backup.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "app/cli_directory.h"
#include "store/sqlite/backup.h"

namespace posthouse::app {

namespace {

std::string human(uint64_t bytes) {
  if (bytes < 10 * 1024) return fmt::format("{} B", bytes);
  if (bytes < 10 * 1024 * 1024) return fmt::format("{:.1f} KiB", bytes / 1024.0);
  return fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024.0));
}

// A progress bar on stderr: redrawn in place on a terminal; elsewhere one line per finished
// phase, so logs stay short.
class ProgressBar {
 public:
  explicit ProgressBar(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}
  ~ProgressBar() { finish(); }

  void operator()(const store::sqlite::BackupProgress& p) {
    if (quiet_) return;
    if (p.phase != phase_) {
      finish();
      phase_ = p.phase;
    }
    last_ = p;
    if (tty_) std::fputs(("\r" + line(p)).c_str(), stderr);
  }

  void finish() {
    if (quiet_ || phase_.empty()) return;
    std::fputs(((tty_ ? "\r" : "") + line(last_) + "\n").c_str(), stderr);
    phase_.clear();
  }

 private:
  static std::string line(const store::sqlite::BackupProgress& p) {
    constexpr int kWidth = 30;
    double frac = p.bytes_total ? static_cast<double>(p.bytes_done) / p.bytes_total
                  : p.items_total ? static_cast<double>(p.items_done) / p.items_total
                                  : 1.0;
    if (frac > 1.0) frac = 1.0;
    int fill = static_cast<int>(frac * kWidth);
    std::string bar = std::string(fill, '#') + std::string(kWidth - fill, '.');
    std::string items = p.items_total ? fmt::format(" {}/{} items", p.items_done, p.items_total)
                                      : std::string();
    return fmt::format("{:<12} [{}] {:3.0f}%{} {}/{}   ", p.phase, bar, frac * 100, items,
                       human(p.bytes_done), human(p.bytes_total));
  }

  bool quiet_;
  bool tty_;
  std::string phase_;
  store::sqlite::BackupProgress last_;
};

}  // namespace

BackupCommands::BackupCommands(CLI::App& app, const DirectoryCommands& globals)
    : globals_(globals) {
  backup_ = app.add_subcommand(
      "backup", "online snapshot of the data dir (--data) into DIR: databases, bodies, config");
  backup_->add_option("dir", dir_, "backup directory (must not exist or be empty)")->required();
  backup_->add_flag("--quiet", quiet_, "no progress bar");
  restore_ = app.add_subcommand(
      "restore", "verify the backup in DIR and restore it into a new data dir (--data)");
  restore_->add_option("dir", dir_, "backup directory made by `posthouse backup`")->required();
  restore_->add_flag("--quiet", quiet_, "no progress bar");
}

bool BackupCommands::selected() const { return *backup_ || *restore_; }

int BackupCommands::run() {
  ProgressBar bar(quiet_);
  auto progress = [&bar](const store::sqlite::BackupProgress& p) { bar(p); };
  if (*backup_) {
    auto r = store::sqlite::backup(globals_.data_dir(), dir_, progress);
    bar.finish();
    if (!r) {
      std::cerr << "posthouse: backup failed: " << r.error().message << "\n";
      return 1;
    }
    std::cout << fmt::format(
        "backup of {} written to {}: {} files, {}, {} message bodies ({} hard-linked), "
        "{} mail.db snapshot(s)\n",
        globals_.data_dir(), dir_, r->files, human(r->bytes), r->blobs, r->linked, r->snapshots);
    return 0;
  }
  std::vector<std::string> problems;
  auto r = store::sqlite::restore(dir_, globals_.data_dir(), progress, &problems);
  bar.finish();
  if (!r) {
    for (const auto& p : problems) std::cerr << p << "\n";
    std::cerr << "posthouse: restore failed: " << r.error().message << "\n";
    return 1;
  }
  std::cout << fmt::format(
      "restored {} into {}: {} files, {}, {} message bodies; store is consistent\n", dir_,
      globals_.data_dir(), r->files, human(r->bytes), r->blobs);
  return 0;
}

}  // namespace posthouse::app
