#include "app/cli_spf.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <ctime>
#include <iostream>
#include <sstream>

#include "antispam/spf_check.h"
#include "app/message_file.h"
#include "net/ares_dns.h"

namespace posthouse::app {

SpfCommand::SpfCommand(CLI::App& app) {
  cmd_ = app.add_subcommand("spf-check", "evaluate SPF for lines of IP MAIL-FROM HELO");
  cmd_->group("");  // hidden: a tool for tests and debugging
  cmd_->add_option("--dns-server", dns_server_, "resolver ip:port (default: resolv.conf)");
  cmd_->add_option("--receiver", receiver_, "this server's name, for %{r}");
  cmd_->add_option("cases", cases_, "file of lines: IP MAIL-FROM HELO")->required();
}

bool SpfCommand::selected() const { return cmd_ && cmd_->parsed(); }

int SpfCommand::run() {
  std::string text, error;
  if (!read_whole_file(cases_, 1u << 20, text, error)) {
    std::cerr << "error: " << error << "\n";
    return 1;
  }
  net::AresDnsLookup dns(net::DnsOptions{dns_server_});
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream fields(line);
    std::string ip, from, helo, extra;
    if (!(fields >> ip) || ip[0] == '#') continue;
    if (!(fields >> from >> helo) || (fields >> extra)) {
      std::cerr << "error: " << cases_ << ": not IP MAIL-FROM HELO: " << line << "\n";
      return 1;
    }
    antispam::SpfRequest req;
    req.ip = ip;
    req.mail_from = from == "<>" ? "" : from;
    req.helo = helo;
    req.receiver = receiver_;
    req.timestamp = static_cast<std::int64_t>(std::time(nullptr));
    auto h = antispam::check_helo(dns, req);
    auto m = antispam::check_mail_from(dns, req);
    std::cout << fmt::format("{} {} {}: helo={} mailfrom={}\n", ip, from, helo,
                             antispam::spf_result_name(h.result),
                             antispam::spf_result_name(m.result));
  }
  return 0;
}

}  // namespace posthouse::app
