#include "app/cli_dkim.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <ctime>
#include <iostream>
#include <memory>
#include <sstream>

#include "antispam/arc_verifier.h"
#include "antispam/dkim_verifier.h"
#include "antispam/txt_lookup.h"
#include "app/message_file.h"
#include "net/ares_dns.h"

namespace posthouse::app {

namespace {

// "NAME RECORD" lines; the record is the rest of the line, as one TXT record's strings joined.
bool load_dns(const std::string& path, antispam::MapTxtLookup& dns, std::string& error) {
  std::string text;
  if (!read_whole_file(path, 1u << 20, text, error)) return false;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    auto sp = line.find_first_of(" \t", start);
    if (sp == std::string::npos) {
      error = fmt::format("{}: line without a record: {}", path, line);
      return false;
    }
    auto rec = line.find_first_not_of(" \t", sp);
    dns.add(line.substr(start, sp - start), rec == std::string::npos ? "" : line.substr(rec));
  }
  return true;
}

}  // namespace

DkimCommands::DkimCommands(CLI::App& app) {
  cmd_ = app.add_subcommand("dkim-verify", "check the DKIM signatures of message files");
  arc_ = app.add_subcommand("arc-verify", "check the ARC chain of message files");
  for (CLI::App* c : {cmd_, arc_}) {
    c->group("");  // hidden: a tool for tests and debugging
    c->add_option("--dns", dns_file_, "keys from FILE (lines: NAME TXT-RECORD) instead of DNS");
    c->add_option("--dns-server", dns_server_, "resolver ip:port (default: resolv.conf)");
    c->add_option("--now", now_, "the time to check t= and x= against (seconds since 1970)");
    c->add_option("messages", messages_, "message files")->required();
  }
}

bool DkimCommands::selected() const { return (cmd_ && cmd_->parsed()) || (arc_ && arc_->parsed()); }

int DkimCommands::run() {
  std::unique_ptr<net::DnsLookup> dns;
  std::string error;
  if (!dns_file_.empty()) {
    auto map = std::make_unique<antispam::MapTxtLookup>();
    if (!load_dns(dns_file_, *map, error)) {
      std::cerr << "error: " << error << "\n";
      return 2;
    }
    dns = std::move(map);
  } else {
    dns = std::make_unique<net::AresDnsLookup>(net::DnsOptions{dns_server_});
  }
  int64_t now = now_ != 0 ? now_ : static_cast<int64_t>(std::time(nullptr));
  int rc = 0;
  for (const auto& path : messages_) {
    std::string message;
    if (!read_message_file(path, message)) {
      rc = 1;
      continue;
    }
    if (arc_->parsed()) {
      auto v = antispam::arc_verify(message, *dns, now);
      std::cout << path << ": " << antispam::arc_result_text(v) << "\n";
      continue;
    }
    auto results = antispam::dkim_verify(message, *dns, now);
    if (results.empty()) std::cout << path << ": dkim=none\n";
    for (const auto& r : results)
      std::cout << path << ": " << antispam::dkim_result_text(r) << "\n";
  }
  return rc;
}

}  // namespace posthouse::app
