// `posthouse serve`: builds every part from the config and runs the listeners until SIGTERM.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "app/commands.h"
#include "auth/credential_cache.h"
#include "auth/password.h"
#include "auth/throttle.h"
#include "auth/web_sessions.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/strings.h"
#include "delivery/local_gateway.h"
#include "delivery/service_pool.h"
#include "net/blocking_pool.h"
#include "net/dns_cache.h"
#include "net/server.h"
#include "net/tls.h"
#include "queue/dkim.h"
#include "queue/runner.h"
#include "server/http/api/api.h"
#include "server/http/health.h"
#include "server/http/http_server.h"
#include "server/http/static_files.h"
#include "store/fault_file.h"
#include "store/sqlite/mail_store.h"
#include "store/spool.h"
#include "store/sqlite/stores.h"

namespace posthouse::app {

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

base::Status check_data_dir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return base::Error(base::Errc::kIo,
                       fmt::format("data dir {} is not writable: not a directory", dir));
  if (access(dir.c_str(), W_OK) != 0)
    return base::Error(base::Errc::kIo,
                       fmt::format("data dir {} is not writable: {}", dir, std::strerror(errno)));
  return {};
}

// The parts every listener and job share. Members are declared in the order they are built;
// they go in reverse, so nothing outlives what it uses.
struct Parts {
  Parts(const config::Config& c, net::Server& s, net::BlockingPool& b)
      : cfg(c), server(s), pool(b) {}
  const config::Config& cfg;
  net::Server& server;
  net::BlockingPool& pool;
  std::unique_ptr<store::FaultFileEnv> faults;  // outlives the mail store that uses it
  std::unique_ptr<store::sqlite::SqliteMailStore> mail;
  std::unique_ptr<delivery::ServicePool> services;
  std::shared_ptr<delivery::LocalGateway> gateway;
  std::shared_ptr<auth::LoginThrottle> throttle = std::make_shared<auth::LoginThrottle>();
  // Shared by every SMTP listener ([limits] max_inflight_bytes), shown in /metrics.
  std::shared_ptr<net::InflightBudget> inflight;
  // The MX's sender checks and DNS lists (null when off); their temperrors are on /metrics.
  std::shared_ptr<antispam::SenderChecks> checks;
  http::api::Deps api_deps;
};

// The message store, with the testing seams of [testing] when they are set.
base::Status open_mail_store(Parts& p) {
  const auto& cfg = p.cfg;
  store::sqlite::MailStoreOptions mso;
  mso.data_dir = cfg.server.data_dir;
  mso.max_message_size = static_cast<uint64_t>(cfg.smtp.max_message_bytes) + (1 << 20);
  mso.search_index = cfg.imap.search_index;
  if (!cfg.testing.fault_file.empty()) {
    p.faults = std::make_unique<store::FaultFileEnv>(store::FsEnv::posix(), cfg.testing.fault_file);
    mso.env = p.faults.get();
    mso.before_commit = [f = p.faults.get()] { return f->before_commit(); };
    spdlog::warn("fault injection is on: store faults are read from {} (testing.fault_file)",
                 cfg.testing.fault_file);
  }
  if (!cfg.testing.clock_file.empty()) {
    base::use_clock_file(cfg.testing.clock_file);
    spdlog::warn("test clock is on: the offset in {} moves time forward (testing.clock_file)",
                 cfg.testing.clock_file);
  }
  if (config::password_hash_below_minimum(cfg.directory)) {
    spdlog::warn(
        "argon2id cost below the OWASP minimum (password_hash_ops = {}, "
        "password_hash_memory_kib = {}): allowed by testing.allow_weak_password_hash, "
        "for tests only",
        cfg.directory.password_hash_ops, cfg.directory.password_hash_memory_kib);
  }

  p.mail = PH_TRY(store::sqlite::SqliteMailStore::open(mso));
  if (auto swept = p.mail->sweep_crash_debris(); !swept) {
    spdlog::warn("startup sweep of crash debris failed: {}", swept.error().message);
  } else if (swept->repaired > 0) {
    spdlog::info("removed {} crash leftovers (uncommitted body files, temporaries)",
                 swept->repaired);
  }
  return {};
}

void build_services(Parts& p, store::Backend& backend) {
  const auto& cfg = p.cfg;
  directory::Options dir_opts = directory_options(cfg);
  dir_opts.credential_cache = std::make_shared<auth::CredentialCache>(
      auth::CredentialCache::Options{std::chrono::seconds(cfg.directory.auth_cache_ttl_seconds),
                                     static_cast<std::size_t>(cfg.directory.auth_cache_size)});
  // Made once here, not per pooled Service: the first unknown login on any of them costs the same.
  if (auto h = auth::hash_password(base::random_hex(16), dir_opts.password))
    dir_opts.dummy_hash = *h;
  // A purged mailbox's mail goes with it (the store keys mail by mailbox id).
  store::MailStore* mail_store = p.mail.get();
  dir_opts.on_mailbox_purged = [mail_store](directory::Id id) -> base::Status {
    auto st = mail_store->delete_mailbox(id);
    if (!st && st.error().code == base::Errc::kNotFound) return {};  // never received mail
    return st;
  };
  p.services = std::make_unique<delivery::ServicePool>(backend, dir_opts);
  p.gateway = std::make_shared<delivery::LocalGateway>(gateway_options(cfg), *p.services,
                                                       *p.mail);
}

// One listener per protocol and port kind, when configured (an empty endpoint list: off).
base::Status listen(Parts& p, const char* name, const std::vector<config::Endpoint>& endpoints,
                    bool implicit_tls, const char* refuse_text, net::SessionHandler handler) {
  if (endpoints.empty()) return {};
  net::ListenerSpec spec;
  spec.name = name;
  spec.endpoints = endpoints;
  spec.implicit_tls = implicit_tls;
  spec.refuse_text = refuse_text;
  spec.handler = std::move(handler);
  return p.server.add_listener(std::move(spec));
}

template <class S>
net::SessionHandler handler_of(std::shared_ptr<S> srv) {
  return [srv](std::shared_ptr<net::Connection> c) { return srv->session(std::move(c)); };
}

// A message the MX accepts must be scannable: clamd's StreamMaxLength below [smtp]
// max_message_bytes refuses the start; clamd not answering (yet) is only a warning.
base::Status check_clamd_limit(const antispam::ClamdClient& clamd, const config::Config& cfg) {
  auto st = clamd.check_stream_limit(static_cast<std::size_t>(cfg.smtp.max_message_bytes));
  if (st) return {};
  if (st.error().code == base::Errc::kLimit) {
    return base::Error(
        base::Errc::kInvalid,
        fmt::format("[smtp] max_message_bytes ({}) exceeds the StreamMaxLength of "
                    "[antispam] clamd = \"{}\": {}",
                    cfg.smtp.max_message_bytes, cfg.antispam.clamd, st.error().message));
  }
  spdlog::warn("[antispam] clamd {}: cannot check its StreamMaxLength now: {}", cfg.antispam.clamd,
               st.error().message);
  return {};
}

base::Status add_mail_listeners(Parts& p) {
  const auto& cfg = p.cfg;
  constexpr const char* kSmtpBusy = "421 4.7.0 Too many connections, try again later\r\n";
  using server::smtp::Mode;
  p.inflight =
      std::make_shared<net::InflightBudget>(static_cast<uint64_t>(cfg.limits.max_inflight_bytes));
  // Spool files have no name; only a crash in the fallback path (no O_TMPFILE) leaves one.
  if (auto swept = store::sweep_spool(spool_dir(cfg)); !swept) {
    spdlog::warn("startup sweep of the SMTP spool failed: {}", swept.error().message);
  } else if (*swept > 0) {
    spdlog::info("removed {} spool files left by a crash", *swept);
  }
  auto names = client_names(cfg);  // one resolver pool for every SMTP listener
  // One checks pool for every SMTP listener; DMARC report data goes to the main database.
  auto checks = PH_TRY(sender_checks(cfg, [services = p.services.get()](const auto& rows) {
    return services->with(
        [&](delivery::Services& s) { return s.stores->dmarc_reports().add(rows); });
  }));
  p.checks = checks;
  auto scanners = PH_TRY(content_scanners(cfg));
  if (scanners && scanners->clamd) PH_CHECK(check_clamd_limit(*scanners->clamd, cfg));
  auto smtp = [&](Mode mode) {
    auto o = smtp_options(cfg, mode);
    o.inflight = p.inflight;
    o.client_names = names;
    o.authserv_id = authserv_id(cfg);
    if (mode == Mode::kMx) {
      o.sender_checks = checks;
      o.scanners = scanners;
    }
    return handler_of(
        std::make_shared<server::smtp::SmtpServer>(std::move(o), p.gateway, p.pool, p.throttle));
  };
  PH_CHECK(listen(p, "smtp", cfg.listen.smtp, false, kSmtpBusy, smtp(Mode::kMx)));
  PH_CHECK(
      listen(p, "submission", cfg.listen.submission, false, kSmtpBusy, smtp(Mode::kSubmission)));
  PH_CHECK(
      listen(p, "submissions", cfg.listen.submissions, true, kSmtpBusy, smtp(Mode::kSubmissions)));

  auto pop3 = handler_of(std::make_shared<server::pop3::Pop3Server>(pop3_options(cfg), *p.gateway,
                                                                    *p.mail, p.pool, p.throttle));
  constexpr const char* kPopBusy = "-ERR [SYS/TEMP] Too many connections, try again later\r\n";
  PH_CHECK(listen(p, "pop3", cfg.listen.pop3, false, kPopBusy, pop3));
  PH_CHECK(listen(p, "pop3s", cfg.listen.pop3s, true, kPopBusy, pop3));

  auto imap_opts = imap_options(cfg);
  imap_opts.learner = PH_TRY(spam_learner(cfg));
  auto imap = handler_of(std::make_shared<server::imap::ImapServer>(std::move(imap_opts),
                                                                    *p.gateway, *p.mail, p.pool,
                                                                    p.throttle));
  constexpr const char* kImapBusy = "* BYE [UNAVAILABLE] Too many connections, try again later\r\n";
  PH_CHECK(listen(p, "imap", cfg.listen.imap, false, kImapBusy, imap));
  return listen(p, "imaps", cfg.listen.imaps, true, kImapBusy, imap);
}

base::Status add_http_listener(Parts& p) {
  const auto& cfg = p.cfg;
  auto router = std::make_shared<http::Router>();
  std::vector<http::Counter> counters;
  if (p.checks && !p.checks->lists().empty()) {
    counters.push_back({"posthouse_dnsbl_temperrors_total",
                        "DNS list answers about SMTP clients that were temperrors (a DNS failure, "
                        "or 127.255.255.x: the list refused the query); never a refusal.",
                        [c = p.checks] { return c->list_temperrors(); }});
  }
  auto* cache = p.checks ? dynamic_cast<const net::CachingDnsLookup*>(&p.checks->dns()) : nullptr;
  if (cache) {  // the lambdas hold the checks, which own the cache
    counters.push_back({"posthouse_dns_cache_hits_total",
                        "DNS lookups of the sender checks and DNS lists answered from the cache "
                        "(or by a query of the same name in flight).",
                        [c = p.checks, cache] { return cache->hits(); }});
    counters.push_back({"posthouse_dns_cache_misses_total",
                        "DNS lookups of the sender checks and DNS lists that queried the resolver.",
                        [c = p.checks, cache] { return cache->misses(); }});
  }
  http::add_health_routes(*router, p.server, p.inflight.get(), std::move(counters));
  auto& d = p.api_deps;
  d.services = p.services.get();
  d.pool = &p.pool;
  d.throttle = p.throttle;
  d.mail = p.mail.get();
  d.sessions.lifetime_seconds = cfg.http.session_lifetime_seconds;
  d.sessions.idle_timeout_seconds = cfg.http.session_idle_seconds;
  d.hostname = cfg.server.hostname;
  d.dkim_selector = cfg.outbound.dkim_selector;
  d.quarantine = &p.gateway->quarantine();
  http::api::add_api_routes(*router, d);
  http::add_static_routes(*router, cfg.http.web_root, &p.pool);
  return listen(
      p, "http", cfg.listen.http, cfg.http.tls,
      "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
      handler_of(std::make_shared<http::HttpServer>(cfg.http, router)));
}

// The quarantine's share of the upkeep: the notices due, then held mail past its retention.
void quarantine_upkeep(delivery::Quarantine& q, int64_t now) {
  auto sent = q.send_notices(now);
  if (!sent) spdlog::warn("quarantine notices failed: {}", sent.error().message);
  auto purged = q.purge(now);
  if (!purged) {
    spdlog::warn("purge of the quarantine failed: {}", purged.error().message);
  } else if (*purged > 0) {
    spdlog::info("quarantine: {} held messages past their retention deleted", *purged);
  }
}

// Hourly upkeep (and once at start): restorable deletes past the retention period are
// purged with their mail; expired and idle panel sessions are swept; quarantine notices go
// out and expired held mail and DMARC report data are deleted.
void spawn_upkeep(Parts& p) {
  asio::co_spawn(
      p.server.main_context(),
      [&p]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        while (true) {
          auto n = co_await p.pool.run([&] {
            int64_t now = base::unix_now();
            quarantine_upkeep(p.gateway->quarantine(), now);
            return p.services->with([&](delivery::Services& s) -> base::Result<int> {
              auto swept = auth::WebSessions(*s.sessions, p.api_deps.sessions).sweep(now);
              if (!swept) spdlog::warn("sweep of web sessions failed: {}", swept.error().message);
              auto old = s.stores->dmarc_reports().expire(now / 86400 -
                                                          p.cfg.antispam.dmarc_report_days);
              if (!old) spdlog::warn("expiry of DMARC report data failed: {}", old.error().message);
              return s.directory->purge_expired();
            });
          });
          if (!n) {
            spdlog::warn("purge of expired deletions failed: {}", n.error().message);
          } else if (*n > 0) {
            spdlog::info("purged {} deleted objects past the retention period", *n);
          }
          timer.expires_after(std::chrono::hours(1));
          auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
          if (ec) break;
        }
      },
      asio::detached);
}

// Mail of local senders leaves signed with their domain's keys (made on first need).
std::function<std::string(const std::string&, const std::string&)> dkim_signer(
    delivery::ServicePool& services, std::string selector) {
  return [&services, selector](const std::string& sender, const std::string& body) {
    auto at = sender.rfind('@');
    if (at == std::string::npos) return body;
    std::string domain = base::to_lower(sender.substr(at + 1));
    int64_t now = base::unix_now();
    auto keys =
        services.with([&](delivery::Services& s) -> base::Result<std::vector<queue::DkimKey>> {
          if (!PH_TRY(s.directory->is_local_domain(domain))) return std::vector<queue::DkimKey>{};
          return queue::DkimKeys(*s.dkim_keys).ensure(domain, selector, now);
        });
    if (!keys) {
      spdlog::warn("dkim: no keys for {}: {}", domain, keys.error().message);
      return body;
    }
    return queue::dkim_sign_all(*keys, body, now);
  };
}

base::Result<std::shared_ptr<queue::Runner>> start_runner(Parts& p) {
  if (!p.cfg.outbound.enabled) return std::shared_ptr<queue::Runner>();
  auto ro = PH_TRY(runner_options(p.cfg));
  if (p.cfg.outbound.dkim_sign) ro.sign = dkim_signer(*p.services, p.cfg.outbound.dkim_selector);
  auto* services = p.services.get();
  auto runner = std::make_shared<queue::Runner>(
      std::move(ro),
      [services](const std::function<base::Status(queue::QueueStore&)>& f) {
        return services->with([&](delivery::Services& s) { return f(*s.queue); });
      },
      [gateway = p.gateway](const std::string& to, std::string message,
                            std::optional<int64_t> origin) {
        return gateway->deliver_system(to, std::move(message), origin.value_or(0));
      },
      p.pool);
  runner->start(p.server.main_context().get_executor());
  return runner;
}

}  // namespace

int cmd_serve(const ServeOptions& o) {
  std::string cfg_path = o.config_path;
  if (cfg_path.empty()) {
    if (o.data_dir.empty()) return fail(2, "serve needs --data DIR or --config FILE");
    cfg_path = (fs::path(o.data_dir) / "posthouse.toml").string();
  }
  auto cfg_r = config::load(cfg_path);
  if (!cfg_r) return fail(2, cfg_r.error().message);
  const config::Config& cfg = *cfg_r;
  base::init_logging(o.log_json ? base::LogFormat::kJson : base::LogFormat::kText,
                     cfg.server.log_level);
  if (auto st = check_data_dir(cfg.server.data_dir); !st) return fail(1, st.error().message);

  store::sqlite::SqliteBackend backend(cfg.db_path());
  if (auto st = backend.migrate(); !st) return fail(1, st.error().message);
  auto tls = net::make_server_tls(cfg.tls.cert, cfg.tls.key);
  if (!tls) return fail(2, tls.error().message);
  net::Server server(server_options(cfg), *tls);
  net::BlockingPool pool(static_cast<std::size_t>(cfg.server.blocking_threads));

  Parts p(cfg, server, pool);
  if (auto st = open_mail_store(p); !st) return fail(1, st.error().message);
  build_services(p, backend);
  if (auto st = add_mail_listeners(p); !st) return fail(1, st.error().message);
  if (auto st = add_http_listener(p); !st) return fail(1, st.error().message);
  spawn_upkeep(p);
  auto runner = start_runner(p);
  if (!runner) return fail(2, runner.error().message);

  for (const auto& b : server.bound()) spdlog::info("listening: {}", b);
  spdlog::info("posthouse {} serving {} (data {})", POSTHOUSE_VERSION, cfg.server.hostname,
               cfg.server.data_dir);
  server.run();
  if (*runner) (*runner)->stop();
  pool.stop();
  p.mail->stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace posthouse::app
