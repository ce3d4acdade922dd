// `posthouse dkim-verify [--dns FILE] [--dns-server IP:PORT] [--now T] MESSAGE...`: checks
// every DKIM signature of each message file with antispam::dkim_verify and prints one line
// per signature, "FILE: dkim=RESULT (reason) header.d=... header.s=...", or
// "FILE: dkim=none". Keys come from FILE (lines "NAME TXT-RECORD"; '#' starts a comment)
// or, without --dns, from DNS. Hidden from --help: a tool for tests (the differential test
// against dkimpy, tests/integration/test_dkim_verify.py) and for operators debugging a result.
// `posthouse arc-verify` takes the same options and prints one line per message with the
// chain's antispam::arc_verify result: "FILE: arc=pass (i=2 d=...) header.oldest-pass=0",
// "FILE: arc=fail (reason)" or "FILE: arc=none" (the differential test against dkimpy,
// tests/integration/test_arc.py).
// Exit codes: 0 every message was checked (whatever the results), 1 a file could not be read,
// 2 usage.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace posthouse::app {

class DkimCommands {
 public:
  explicit DkimCommands(CLI::App& app);
  bool selected() const;
  int run();

 private:
  CLI::App* cmd_ = nullptr;
  CLI::App* arc_ = nullptr;
  std::string dns_file_;
  std::string dns_server_;
  int64_t now_ = 0;  // 0: the clock
  std::vector<std::string> messages_;
};

}  // namespace posthouse::app
