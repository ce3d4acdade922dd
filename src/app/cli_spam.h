// `posthouse spam-scan [--rspamd URL] [--rspamd-controller URL --rspamd-password-file F]
// [--clamd ADDR] [--learn spam|ham] [--check-size BYTES] [--timeout SECONDS] MESSAGE...`:
// runs each message file past rspamd (/checkv2) and/or clamd (INSTREAM), or teaches it to
// rspamd's controller with --learn, and prints one JSON line per message:
//   {"file":F,"rspamd":{"action":"reject","score":…,"required_score":…,"skipped":…,
//    "symbols":{"GTUBE":0.0,…},"messages":{…}} or {"error":"…"},
//    "clamd":{"result":"clean"|"infected"|"error","virus":…,"error":…,"size_limit":true},
//    "learn":{"result":"ok"} or {"result":"error","error":"…"}}
// --check-size first checks that clamd accepts messages of that many bytes (its
// StreamMaxLength), as the server does at start. --ip, --helo, --from, --rcpt and --user give
// rspamd an envelope (defaults: none, the null sender).
// For admins checking their setup and for tests (tests/integration/test_spam_scan.py).
// Exit codes: 0 every daemon gave a verdict (whatever it was), 1 an error (a daemon down, a
// file unreadable, a failed learn, clamd's limit below --check-size), 2 usage.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace posthouse::app {

class SpamScanCommand {
 public:
  explicit SpamScanCommand(CLI::App& app);
  bool selected() const;
  int run();

 private:
  CLI::App* cmd_ = nullptr;
  std::string rspamd_;
  std::string controller_;
  std::string password_file_;
  std::string clamd_;
  std::string learn_;
  std::size_t check_size_ = 0;
  double timeout_ = 0;  // 0: the clients' defaults
  std::string ip_, helo_, from_, user_;
  std::vector<std::string> rcpts_;
  std::vector<std::string> messages_;
};

}  // namespace posthouse::app
