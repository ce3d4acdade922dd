#include "app/options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "app/message_file.h"
#include "base/strings.h"
#include "net/ares_dns.h"
#include "net/dns_cache.h"
#include "queue/smtp_client.h"

namespace posthouse::app {

auth::PasswordOptions password_options(const config::Config& cfg) {
  auth::PasswordOptions o;
  o.min_length = static_cast<std::size_t>(cfg.directory.password_min_length);
  o.opslimit = static_cast<unsigned long long>(cfg.directory.password_hash_ops);
  o.memlimit = static_cast<std::size_t>(cfg.directory.password_hash_memory_kib) * 1024;
  return o;
}

directory::Options directory_options(const config::Config& cfg) {
  directory::Options o;
  o.password = password_options(cfg);
  o.retention_days = cfg.directory.retention_days;
  return o;
}

base::Result<queue::RunnerOptions> runner_options(const config::Config& cfg) {
  const auto& c = cfg.outbound;
  queue::RunnerOptions o;
  o.hostname = cfg.server.hostname;
  o.resolver.server = c.resolver;
  o.mx_port = static_cast<uint16_t>(c.mx_port);
  o.poll_interval = std::chrono::seconds(c.poll_interval_seconds);
  o.retry_initial = c.retry_initial_seconds;
  o.retry_max = c.retry_max_seconds;
  o.max_age = c.max_age_seconds;
  o.concurrency = c.concurrency;
  o.concurrency_per_domain = c.concurrency_per_domain;
  o.max_messages_per_connection = c.max_messages_per_connection;
  o.connection_idle = std::chrono::seconds(c.connection_idle_seconds);
  o.delay_warning = c.delay_warning_seconds;
  o.tls_ca_file = c.tls_ca_file;
  if (!o.tls_ca_file.empty()) {
    try {
      queue::make_client_tls(o.tls_ca_file);
    } catch (const std::exception& e) {
      return base::Error(base::Errc::kInvalid,
                         fmt::format("outbound: tls_ca_file {}: {}", o.tls_ca_file, e.what()));
    }
  }
  o.connect_timeout = std::chrono::seconds(c.connect_timeout_seconds);
  o.command_timeout = std::chrono::seconds(c.command_timeout_seconds);
  o.max_received_headers = c.max_received_headers;
  for (const auto& d : c.require_tls_domains) o.require_tls_domains.push_back(base::to_lower(d));
  for (const auto& ep : cfg.listen.smtp) o.self_endpoints.push_back(ep.to_string());
  auto relay = [&](const std::string& hostport) -> base::Result<queue::Relay> {
    queue::Relay r;
    auto colon = hostport.rfind(':');
    r.host = hostport.substr(0, colon);
    if (r.host.size() > 2 && r.host.front() == '[' && r.host.back() == ']')
      r.host = r.host.substr(1, r.host.size() - 2);
    int port = std::atoi(hostport.c_str() + colon + 1);
    if (r.host.empty() || port <= 0 || port > 65535)
      return base::Error(base::Errc::kInvalid, fmt::format("outbound: bad relay \"{}\"", hostport));
    r.port = static_cast<uint16_t>(port);
    r.tls = c.smarthost_tls == "none"       ? queue::TlsMode::kNone
            : c.smarthost_tls == "required" ? queue::TlsMode::kRequired
            : c.smarthost_tls == "implicit" ? queue::TlsMode::kImplicit
                                            : queue::TlsMode::kOpportunistic;
    r.user = c.smarthost_user;
    r.password = c.smarthost_password;
    return r;
  };
  if (!c.smarthost.empty()) o.smarthost = PH_TRY(relay(c.smarthost));
  for (const auto& d : c.smarthost_domains) {
    auto eq = d.find('=');
    o.sender_relays[base::to_lower(d.substr(0, eq))] = PH_TRY(relay(d.substr(eq + 1)));
  }
  return o;
}

std::string spool_dir(const config::Config& cfg) { return cfg.server.data_dir + "/spool"; }

server::smtp::Options smtp_options(const config::Config& cfg, server::smtp::Mode mode) {
  server::smtp::Options o;
  o.hostname = cfg.server.hostname;
  o.mode = mode;
  o.max_message_bytes = static_cast<uint64_t>(cfg.smtp.max_message_bytes);
  o.max_recipients = cfg.smtp.max_recipients;
  o.max_bad_recipients = cfg.smtp.max_bad_recipients;
  o.allow_plaintext_auth = cfg.smtp.allow_plaintext_auth;
  o.junk_command_limit = cfg.smtp.junk_command_limit;
  o.command_rate = cfg.smtp.command_rate;
  o.command_burst = cfg.smtp.command_burst;
  o.bare_lf = cfg.smtp.bare_lf == "reject" ? smtp::BareLf::kReject : smtp::BareLf::kNormalize;
  o.spool_dir = spool_dir(cfg);
  if (mode == server::smtp::Mode::kMx) {
    o.pregreet_delay = std::chrono::milliseconds(cfg.smtp.pregreet_delay_ms);
  }
  return o;
}

std::string authserv_id(const config::Config& cfg) {
  return cfg.antispam.authserv_id.empty() ? cfg.server.hostname : cfg.antispam.authserv_id;
}

delivery::GatewayOptions gateway_options(const config::Config& cfg) {
  delivery::GatewayOptions o;
  o.hostname = cfg.server.hostname;
  const auto& a = cfg.antispam;
  if (a.arc_seal) o.arc_selector = cfg.outbound.dkim_selector;
  o.authserv_id = authserv_id(cfg);
  o.virus_action = a.virus_action;
  o.quarantine.retention_seconds = int64_t{a.quarantine_retention_days} * 86400;
  o.quarantine.notice_interval_seconds = int64_t{a.quarantine_notice_hours} * 3600;
  o.quarantine.hostname = cfg.server.hostname;
  o.quarantine.link_base =
      a.quarantine_link.empty() ? "https://" + cfg.server.hostname : a.quarantine_link;
  while (!o.quarantine.link_base.empty() && o.quarantine.link_base.back() == '/')
    o.quarantine.link_base.pop_back();
  if (a.rspamd.empty()) {
    o.greylist = delivery::GreylistSettings{
        .delay = a.greylist_delay_seconds,
        .retry_window = int64_t{a.greylist_window_hours} * 3600,
        .allow_for = int64_t{a.greylist_allow_days} * 86400};
  }
  return o;
}

base::Result<std::shared_ptr<antispam::SenderChecks>> sender_checks(
    const config::Config& cfg, antispam::DmarcReportLog::Sink report_sink) {
  const auto& a = cfg.antispam;
  if (!a.checks && a.dnsbl.empty()) return std::shared_ptr<antispam::SenderChecks>();
  std::vector<antispam::DnsList> lists;
  for (const auto& l : a.dnsbl) {
    antispam::DnsList d{l.zone, l.domain, l.allow, {}};
    for (const auto& [first, last] : l.codes) d.codes.push_back({first, last});
    lists.push_back(std::move(d));
  }
  auto psl = antispam::PublicSuffixList::load_file(a.public_suffix_file);
  if (!psl) {
    return base::Error(base::Errc::kInvalid,
                       fmt::format("[antispam] public_suffix_file: {}", psl.error().message));
  }
  net::DnsOptions dns{cfg.outbound.resolver, a.dns_timeout_ms, 1};
  auto cached = std::make_unique<net::CachingDnsLookup>(
      std::make_unique<net::AresDnsLookup>(dns), static_cast<std::size_t>(a.dns_cache_entries));
  return std::make_shared<antispam::SenderChecks>(
      std::move(cached), std::move(*psl),
      authserv_id(cfg), cfg.server.hostname,
      static_cast<std::size_t>(a.threads), std::move(lists), a.checks, a.arc_trusted_sealers,
      report_sink ? std::make_shared<antispam::DmarcReportLog>(std::move(report_sink),
                                                               a.dmarc_report_flush_seconds)
                  : nullptr);
}

base::Result<std::shared_ptr<antispam::SpamLearner>> spam_learner(const config::Config& cfg) {
  const auto& a = cfg.antispam;
  if (a.rspamd_controller.empty()) return std::shared_ptr<antispam::SpamLearner>();
  auto invalid = [](std::string what, const char* key) {
    return base::Error(base::Errc::kInvalid, fmt::format("[antispam] {}: {}", key, what), key);
  };
  if (auto t = antispam::parse_http_url(a.rspamd_controller); !t)
    return invalid(t.error().message, "rspamd_controller");
  antispam::RspamdOptions r;
  r.controller_url = a.rspamd_controller;
  std::string error;
  if (a.rspamd_password_file.empty() ||
      !read_whole_file(a.rspamd_password_file, 4096, r.password, error)) {
    return invalid(a.rspamd_password_file.empty() ? "required with rspamd_controller" : error,
                   "rspamd_password_file");
  }
  r.password = std::string(base::trim(r.password.substr(0, r.password.find('\n'))));
  if (r.password.empty()) return invalid("the file holds no password", "rspamd_password_file");
  auto timeout = std::chrono::milliseconds(a.daemon_timeout_ms);
  r.timeouts.connect = r.timeouts.exchange = timeout;
  return std::make_shared<antispam::SpamLearner>(std::move(r));
}

base::Result<std::shared_ptr<const antispam::ContentScanners>> content_scanners(
    const config::Config& cfg) {
  const auto& a = cfg.antispam;
  if (a.clamd.empty() && a.rspamd.empty())
    return std::shared_ptr<const antispam::ContentScanners>();
  auto s = std::make_shared<antispam::ContentScanners>();
  auto timeout = std::chrono::milliseconds(a.daemon_timeout_ms);
  if (!a.clamd.empty()) {
    antispam::ClamdOptions c;
    c.address = a.clamd;
    c.connect_timeout = c.timeout = timeout;
    // Scans run on the sender checks' pool ([antispam] threads) or, without checks, on the
    // blocking pool: no more than the larger is in flight at once, and sessions past that many
    // would only sit idle in clamd.
    c.idle_sessions = static_cast<std::size_t>(std::max({a.threads, cfg.server.blocking_threads, 1}));
    s->clamd.emplace(std::move(c));
  }
  if (!a.rspamd.empty()) {
    if (auto t = antispam::parse_http_url(a.rspamd); !t) {
      return base::Error(base::Errc::kInvalid,
                         fmt::format("[antispam] rspamd: {}", t.error().message),
                         "antispam.rspamd");
    }
    antispam::RspamdOptions r;
    r.url = a.rspamd;
    r.timeouts.connect = r.timeouts.exchange = timeout;
    s->rspamd.emplace(std::move(r));
  }
  s->fail_open = a.fail_open;
  s->virus_junk = a.virus_action == "junk";
  return std::shared_ptr<const antispam::ContentScanners>(std::move(s));
}

std::shared_ptr<server::smtp::ClientNames> client_names(const config::Config& cfg) {
  if (cfg.smtp.rdns_timeout_ms <= 0) return nullptr;
  // Two queries one after the other (PTR, then A/AAAA), one try each, within the timeout.
  queue::ResolverOptions r;
  r.server = cfg.outbound.resolver;
  r.timeout_ms = std::max(1, cfg.smtp.rdns_timeout_ms / 2);
  r.tries = 1;
  return std::make_shared<server::smtp::ClientNames>(
      r, std::chrono::milliseconds(cfg.smtp.rdns_timeout_ms));
}

server::pop3::Options pop3_options(const config::Config& cfg) {
  server::pop3::Options o;
  o.hostname = cfg.server.hostname;
  o.allow_plaintext_auth = cfg.pop3.allow_plaintext_auth;
  o.junk_command_limit = cfg.pop3.junk_command_limit;
  o.command_rate = cfg.pop3.command_rate;
  o.command_burst = cfg.pop3.command_burst;
  return o;
}

server::imap::Options imap_options(const config::Config& cfg) {
  server::imap::Options o;
  o.hostname = cfg.server.hostname;
  o.allow_plaintext_auth = cfg.imap.allow_plaintext_auth;
  o.max_idle_connections = cfg.imap.max_idle_connections;
  o.append_limit = static_cast<uint64_t>(cfg.imap.append_limit);
  o.max_line_bytes = static_cast<size_t>(cfg.limits.max_line_bytes);
  o.max_errors = cfg.imap.max_errors;
  o.literal_plus = cfg.imap.literal_plus;
  o.command_rate = cfg.imap.command_rate;
  o.command_burst = cfg.imap.command_burst;
  o.idle_timeout = std::chrono::seconds(cfg.limits.idle_timeout_seconds);
  return o;
}

net::ServerOptions server_options(const config::Config& cfg) {
  net::ServerOptions o;
  o.threads = cfg.server.threads;
  o.max_connections = cfg.limits.max_connections;
  o.max_connections_per_ip = cfg.limits.max_connections_per_ip;
  o.idle_timeout = std::chrono::seconds(cfg.limits.idle_timeout_seconds);
  o.shutdown_grace = std::chrono::seconds(cfg.limits.shutdown_grace_seconds);
  o.max_buffer_bytes = static_cast<std::size_t>(cfg.limits.max_buffer_bytes);
  return o;
}

}  // namespace posthouse::app
