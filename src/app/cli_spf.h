// `posthouse spf-check [--dns-server IP:PORT] [--receiver NAME] CASES`: evaluates SPF (RFC
// 7208, antispam::check_helo and check_mail_from) for each line "IP MAIL-FROM HELO" of the
// file CASES (MAIL-FROM "<>" for the null sender; '#' starts a comment) and prints one line
// per case: "IP MAIL-FROM HELO: helo=RESULT mailfrom=RESULT". Hidden from --help: a tool for
// tests (the differential test against pyspf, tests/integration/test_spf_differential.py) and
// for operators debugging a result. Exit codes: 0 every case was evaluated (whatever the
// results), 1 the file could not be read or a line is malformed, 2 usage.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace posthouse::app {

class SpfCommand {
 public:
  explicit SpfCommand(CLI::App& app);
  bool selected() const;
  int run();

 private:
  CLI::App* cmd_ = nullptr;
  std::string dns_server_;
  std::string receiver_ = "unknown";
  std::string cases_;
};

}  // namespace posthouse::app
