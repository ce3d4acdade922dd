// `posthouse backup DIR` and `posthouse restore DIR` (store/sqlite/backup.h): an online snapshot of
// the data dir given by the global --data, and its restore into a new data dir (--data).
// Progress goes to stderr (redrawn on a terminal, one line per phase otherwise); the result
// to stdout. Exit 0 ok, 1 failed (the error on stderr).
#pragma once

#include <functional>
#include <string>

namespace CLI {
class App;
}

namespace posthouse::app {

class DirectoryCommands;

class BackupCommands {
 public:
  BackupCommands(CLI::App& app, const DirectoryCommands& globals);
  bool selected() const;
  int run();

 private:
  const DirectoryCommands& globals_;
  CLI::App* backup_ = nullptr;
  CLI::App* restore_ = nullptr;
  std::string dir_;
  bool quiet_ = false;
};

}  // namespace posthouse::app
