#include "app/cli_dmarc.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli_directory.h"
#include "base/clock.h"
#include "store/sqlite/dmarc_report_store.h"

namespace posthouse::app {

DmarcReportCommand::DmarcReportCommand(CLI::App& app, const DirectoryCommands& globals)
    : globals_(globals) {
  cmd_ = app.add_subcommand("dmarc-report", "DMARC aggregate report data collected by the MX");
  cmd_->add_option("--domain", domain_, "only this author (From) domain");
  cmd_->add_option("--days", days_, "the last N days, today included")
      ->check(CLI::Range(1, 3650))
      ->capture_default_str();
}

bool DmarcReportCommand::selected() const { return cmd_ && cmd_->parsed(); }

int DmarcReportCommand::run() {
  bool json_out = globals_.json_output();
  auto fail = [json_out](const base::Error& e) {
    if (json_out) {
      std::cerr << nlohmann::json{{"error", e.message}}.dump() << "\n";
    } else {
      std::cerr << "error: " << e.message << "\n";
    }
    return 1;
  };
  auto s = open_cli_session(globals_.data_dir(), globals_.as_login());
  if (!s) return s.error().field == "config" ? 2 : fail(s.error());
  auto& cs = **s;
  if (auto st = cs.svc->policy().check(cs.actor, directory::Verb::kPlatformRead,
                                       directory::Target::platform());
      !st) {
    return fail(st.error());
  }
  store::sqlite::SqliteDmarcReportStore reports(*cs.db);
  int64_t today = base::unix_now() / 86400;
  int64_t from = today - days_ + 1;
  std::vector<std::string> domains;
  if (!domain_.empty()) {
    domains.push_back(domain_);
  } else {
    auto d = reports.domains(from, today);
    if (!d) return fail(d.error());
    domains = std::move(*d);
  }
  for (const auto& domain : domains) {
    auto rows = reports.rows(domain, from, today);
    if (!rows) return fail(rows.error());
    for (const auto& r : *rows) {
      if (json_out) {
        nlohmann::json j = {{"day", r.day},
                            {"domain", r.domain},
                            {"policy_domain", r.policy_domain},
                            {"rua", r.rua},
                            {"policy", r.published},
                            {"source_ip", r.source_ip},
                            {"envelope_from", r.envelope_from},
                            {"disposition", r.disposition},
                            {"dkim", r.dkim},
                            {"spf", r.spf},
                            {"dkim_domains", r.dkim_domains},
                            {"spf_result", r.spf_result},
                            {"count", r.count}};
        std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      } else {
        std::cout << fmt::format(
            "{} {} {} {} disposition={} dkim={} spf={} envelope_from={} dkim_domains=\"{}\" "
            "spf_result={} policy=\"{}\" rua={}\n",
            r.day, r.domain, r.source_ip, r.count, r.disposition, r.dkim, r.spf, r.envelope_from,
            r.dkim_domains, r.spf_result, r.published, r.rua.empty() ? "-" : r.rua);
      }
    }
  }
  return 0;
}

}  // namespace posthouse::app
