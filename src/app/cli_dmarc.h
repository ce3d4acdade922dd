// `posthouse dmarc-report [--domain D] [--days N]`: the DMARC aggregate report data the MX
// collected (antispam/dmarc_report.h) for the last N days (default 1: today), one line per
// row: "DAY DOMAIN SOURCE-IP COUNT disposition=… dkim=… spf=… envelope_from=… dkim_domains=…
// spf_result=… policy=… rua=…"; with --json one object per line. The platform admin's only
// (platform.read): the rows tell who sends mail to this server. Exit codes: 0 shown (also
// when empty), 1 an error, 2 usage.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace posthouse::app {

class DirectoryCommands;

class DmarcReportCommand {
 public:
  DmarcReportCommand(CLI::App& app, const DirectoryCommands& globals);
  bool selected() const;
  int run();

 private:
  const DirectoryCommands& globals_;
  CLI::App* cmd_ = nullptr;
  std::string domain_;
  int days_ = 1;
};

}  // namespace posthouse::app
