#include "app/cli_spam.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "antispam/clamd_client.h"
#include "antispam/rspamd_client.h"
#include "app/message_file.h"
#include "base/strings.h"

namespace posthouse::app {

namespace {

using nlohmann::json;

json rspamd_json(const antispam::RspamdResult& r) {
  if (!r.ok()) return {{"error", r.error}};
  json symbols = json::object();
  for (const auto& s : r.symbols) symbols[s.name] = s.score;
  json messages = json::object();
  for (const auto& [k, v] : r.messages) messages[k] = v;
  json out = {{"action", antispam::rspamd_action_name(r.action)},
              {"score", r.score},
              {"required_score", r.required_score},
              {"skipped", r.skipped},
              {"symbols", symbols},
              {"messages", messages}};
  if (r.symbols_dropped) out["symbols_dropped"] = r.symbols_dropped;
  return out;
}

json clamd_json(const antispam::ClamdResult& r) {
  json out = {{"result", antispam::clamd_status_name(r.status)}};
  if (r.status == antispam::ClamdStatus::kInfected) out["virus"] = r.virus;
  if (r.status == antispam::ClamdStatus::kError) out["error"] = r.error;
  if (r.size_limit) out["size_limit"] = true;
  return out;
}

json learn_json(const antispam::RspamdLearnResult& r) {
  if (r.ok()) return {{"result", "ok"}};
  return {{"result", "error"}, {"error", r.error}};
}

}  // namespace

SpamScanCommand::SpamScanCommand(CLI::App& app) {
  cmd_ = app.add_subcommand("spam-scan",
                            "check message files with rspamd and clamd (one JSON line each)");
  cmd_->add_option("--rspamd", rspamd_, "rspamd normal worker: http://HOST:PORT or unix:/PATH");
  cmd_->add_option("--rspamd-controller", controller_, "rspamd controller, for --learn");
  cmd_->add_option("--rspamd-password-file", password_file_,
                   "file holding the controller password (first line)");
  cmd_->add_option("--clamd", clamd_, "clamd: unix:/PATH or HOST:PORT");
  cmd_->add_option("--learn", learn_, "teach rspamd's controller the messages as spam or ham")
      ->check(CLI::IsMember({"spam", "ham"}));
  cmd_->add_option("--check-size", check_size_,
                   "first check that clamd accepts messages of BYTES (its StreamMaxLength)");
  cmd_->add_option("--timeout", timeout_,
                   "seconds per daemon exchange (default: 60 clamd, 20 "
                   "rspamd)");
  cmd_->add_option("--ip", ip_, "rspamd: the client's IP address");
  cmd_->add_option("--helo", helo_, "rspamd: the client's HELO name");
  cmd_->add_option("--from", from_, "rspamd: the MAIL FROM address");
  cmd_->add_option("--rcpt", rcpts_, "rspamd: a recipient (repeatable)")
      ->allow_extra_args(false);  // one address per --rcpt: the message files follow
  cmd_->add_option("--user", user_, "rspamd: the authenticated user");
  cmd_->add_option("messages", messages_, "message files");
}

bool SpamScanCommand::selected() const { return cmd_ && cmd_->parsed(); }

int SpamScanCommand::run() {
  if (rspamd_.empty() && clamd_.empty() && learn_.empty()) {
    std::cerr << "error: give --rspamd, --clamd or --learn\n";
    return 2;
  }
  if (!learn_.empty() && controller_.empty()) {
    std::cerr << "error: --learn needs --rspamd-controller\n";
    return 2;
  }
  if (messages_.empty() && check_size_ == 0) {
    std::cerr << "error: no message files\n";
    return 2;
  }
  std::string error;
  antispam::RspamdOptions ropts;
  ropts.url = rspamd_;
  ropts.controller_url = controller_;
  if (!password_file_.empty()) {
    if (!read_whole_file(password_file_, 4096, ropts.password, error)) {
      std::cerr << "error: " << error << "\n";
      return 2;
    }
    ropts.password = std::string(base::trim(ropts.password.substr(0, ropts.password.find('\n'))));
  }
  antispam::ClamdOptions copts;
  copts.address = clamd_;
  if (timeout_ > 0) {
    auto ms = std::chrono::milliseconds(static_cast<int64_t>(timeout_ * 1000));
    copts.timeout = ropts.timeouts.exchange = ms;
    copts.connect_timeout = ropts.timeouts.connect = std::min(ms, copts.connect_timeout);
  }
  antispam::RspamdClient rspamd(ropts);
  antispam::ClamdClient clamd(copts);

  int rc = 0;
  if (check_size_ > 0) {
    if (clamd_.empty()) {
      std::cerr << "error: --check-size needs --clamd\n";
      return 2;
    }
    if (auto st = clamd.check_stream_limit(check_size_); !st) {
      std::cerr << "error: " << st.error().message << "\n";
      return 1;
    }
  }
  antispam::RspamdEnvelope envelope{ip_, helo_, from_, rcpts_, {}, user_, {}};
  for (const auto& path : messages_) {
    std::string message;
    if (!read_message_file(path, message)) {
      rc = 1;
      continue;
    }
    json line = {{"file", path}};
    if (!learn_.empty()) {
      auto r = learn_ == "spam" ? rspamd.learn_spam(message) : rspamd.learn_ham(message);
      if (!r.ok()) rc = 1;
      line["learn"] = learn_json(r);
    }
    if (!rspamd_.empty()) {
      auto r = rspamd.check(message, envelope);
      if (!r.ok()) rc = 1;
      line["rspamd"] = rspamd_json(r);
    }
    if (!clamd_.empty()) {
      auto r = clamd.scan(message);
      if (r.status == antispam::ClamdStatus::kError) rc = 1;
      line["clamd"] = clamd_json(r);
    }
    std::cout << line.dump() << "\n" << std::flush;
  }
  return rc;
}

}  // namespace posthouse::app
