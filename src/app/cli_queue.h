// `posthouse queue list|show|retry|delete`: the outbound queue in <data>/posthouse.db, through
// directory::Service (so `--as LOGIN` is held to the same policy as the API).
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace posthouse::app {

class DirectoryCommands;

// Adds the queue noun. The returned function runs the selected verb (or is empty when none
// was selected after parsing: check with selected()).
class QueueCommands {
 public:
  explicit QueueCommands(CLI::App& app, const DirectoryCommands& globals);
  bool selected() const { return static_cast<bool>(action_); }
  int run();

 private:
  const DirectoryCommands& globals_;
  std::function<int()> action_;
};

}  // namespace posthouse::app
