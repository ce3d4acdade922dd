#include "app/commands.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "base/clock.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/strings.h"
#include "config/config.h"
#include "directory/service.h"
#include "net/blocking_pool.h"
#include "net/server.h"
#include "net/tls.h"
#include "auth/credential_cache.h"
#include "queue/dkim.h"
#include "queue/runner.h"
#include "auth/throttle.h"
#include "delivery/local_gateway.h"
#include "delivery/service_pool.h"
#include "server/http/api/api.h"
#include "server/http/health.h"
#include "server/imap/imap_server.h"
#include "server/pop3/pop3_server.h"
#include "server/smtp/smtp_server.h"
#include "store/fault_file.h"
#include "store/sqlite/mail_store.h"
#include "server/http/http_server.h"
#include "server/http/static_files.h"
#include "store/sqlite/db.h"
#include "store/sqlite/stores.h"

namespace posthouse::app {

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

int fail(int code, const std::string& msg) {
  std::cerr << "posthouse: " << msg << "\n";
  return code;
}

bool write_file_durably(const std::string& path, const std::string& text, mode_t mode) {
  std::string tmp = path + ".tmp";
  FILE* f = fopen(tmp.c_str(), "w");
  if (!f) return false;
  bool ok = fwrite(text.data(), 1, text.size(), f) == text.size() && fflush(f) == 0 &&
            fsync(fileno(f)) == 0;
  fclose(f);
  if (!ok) return false;
  chmod(tmp.c_str(), mode);
  return rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

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

int cmd_init(const InitOptions& o) {
  if (o.data_dir.empty()) return fail(2, "init needs --data DIR");
  std::error_code ec;
  fs::path dir = fs::absolute(o.data_dir, ec);
  if (fs::exists(dir / "posthouse.toml", ec) && !o.force) {
    return fail(1, fmt::format("{} already holds a Posthouse data dir; use --force to overwrite",
                               dir.string()));
  }
  fs::create_directories(dir / "tls", ec);
  if (ec) return fail(1, fmt::format("cannot create {}: {}", (dir / "tls").string(), ec.message()));
  if (access(dir.c_str(), W_OK) != 0) {
    return fail(1, fmt::format("data dir {} is not writable", dir.string()));
  }
  chmod(dir.c_str(), 0750);
  std::string cfg_path = (dir / "posthouse.toml").string();
  if (!write_file_durably(cfg_path, config::default_file_text(o.hostname), 0640)) {
    return fail(1, fmt::format("cannot write {}: {}", cfg_path, std::strerror(errno)));
  }
  auto cfg = config::load(cfg_path);
  if (!cfg) return fail(2, cfg.error().message);
  if (auto st = net::make_self_signed(o.hostname, cfg->tls.cert, cfg->tls.key); !st) {
    return fail(1, st.error().message);
  }
  if (o.force) {
    for (const char* f : {"posthouse.db", "posthouse.db-wal", "posthouse.db-shm"}) fs::remove(dir / f, ec);
  }
  store::sqlite::SqliteBackend backend(cfg->db_path());
  if (auto st = backend.migrate(); !st) return fail(1, st.error().message);
  auto stores = backend.open();
  if (!stores) return fail(1, stores.error().message);
  // The platform admin's password is shown once and stored only as an argon2id hash.
  std::string password = base::random_password();
  if (auto st = directory::bootstrap_platform_admin((*stores)->directory(), "admin", password,
                                                    password_options(*cfg));
      !st) {
    return fail(1, st.error().message);
  }

  std::cout << fmt::format("Initialised {} for {}\n", dir.string(), o.hostname);
  std::cout << fmt::format("  config: {}\n  TLS certificate: {} (self-signed)\n  database: {}\n",
                           cfg_path, cfg->tls.cert, cfg->db_path());
  std::cout << fmt::format("Platform admin login: admin\nPlatform admin password: {}\n"
                           "(shown once; change it with `posthouse password set admin`)\n",
                           password);
  return 0;
}

int cmd_check(const std::string& data_dir, bool repair) {
  store::sqlite::MailStoreOptions mso;
  mso.data_dir = data_dir;
  auto mail = store::sqlite::SqliteMailStore::open(mso);
  if (!mail) return fail(1, mail.error().message);
  auto report = (*mail)->check(repair);
  if (!report) return fail(1, report.error().message);
  for (const auto& p : report->problems) std::cout << p << "\n";
  if (repair) std::cout << fmt::format("{} problems repaired\n", report->repaired);
  if (report->ok()) {
    std::cout << "store is consistent\n";
    return 0;
  }
  return repair ? 0 : 1;
}

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

  {
    std::error_code ec;
    if (!fs::is_directory(cfg.server.data_dir, ec)) {
      return fail(1, fmt::format("data dir {} is not writable: not a directory",
                                 cfg.server.data_dir));
    }
    if (access(cfg.server.data_dir.c_str(), W_OK) != 0) {
      return fail(1, fmt::format("data dir {} is not writable: {}", cfg.server.data_dir,
                                 std::strerror(errno)));
    }
  }
  store::sqlite::SqliteBackend backend(cfg.db_path());
  if (auto st = backend.migrate(); !st) return fail(1, st.error().message);

  auto tls = net::make_server_tls(cfg.tls.cert, cfg.tls.key);
  if (!tls) return fail(2, tls.error().message);

  net::ServerOptions so;
  so.threads = cfg.server.threads;
  so.max_connections = cfg.limits.max_connections;
  so.max_connections_per_ip = cfg.limits.max_connections_per_ip;
  so.idle_timeout = std::chrono::seconds(cfg.limits.idle_timeout_seconds);
  so.shutdown_grace = std::chrono::seconds(cfg.limits.shutdown_grace_seconds);
  so.max_buffer_bytes = static_cast<std::size_t>(cfg.limits.max_buffer_bytes);
  net::Server server(so, *tls);
  net::BlockingPool pool(static_cast<std::size_t>(cfg.server.blocking_threads));

  store::sqlite::MailStoreOptions mso;
  mso.data_dir = cfg.server.data_dir;
  mso.max_message_size = static_cast<uint64_t>(cfg.smtp.max_message_bytes) + (1 << 20);
  std::unique_ptr<store::FaultFileEnv> faults;  // outlives the store that uses it
  if (!cfg.testing.fault_file.empty()) {
    faults = std::make_unique<store::FaultFileEnv>(store::FsEnv::posix(), cfg.testing.fault_file);
    mso.env = faults.get();
    mso.before_commit = [f = faults.get()] { return f->before_commit(); };
    spdlog::warn("fault injection is on: store faults are read from {} (testing.fault_file)",
                 cfg.testing.fault_file);
  }
  if (!cfg.testing.clock_file.empty()) {
    base::use_clock_file(cfg.testing.clock_file);
    spdlog::warn("test clock is on: the offset in {} moves time forward (testing.clock_file)",
                 cfg.testing.clock_file);
  }
  auto mail = store::sqlite::SqliteMailStore::open(mso);
  if (!mail) return fail(1, mail.error().message);
  if (auto swept = (*mail)->sweep_crash_debris(); !swept) {
    spdlog::warn("startup sweep of crash debris failed: {}", swept.error().message);
  } else if (swept->repaired > 0) {
    spdlog::info("removed {} crash leftovers (uncommitted body files, temporaries)",
                 swept->repaired);
  }
  directory::Options dir_opts = directory_options(cfg);
  dir_opts.credential_cache = std::make_shared<auth::CredentialCache>(auth::CredentialCache::Options{
      std::chrono::seconds(cfg.directory.auth_cache_ttl_seconds),
      static_cast<std::size_t>(cfg.directory.auth_cache_size)});
  // A purged mailbox's mail goes with it (the store keys mail by mailbox id).
  store::MailStore* mail_store = mail->get();
  dir_opts.on_mailbox_purged = [mail_store](directory::Id id) -> base::Status {
    auto st = mail_store->delete_mailbox(id);
    if (!st && st.error().code == base::Errc::kNotFound) return {};  // never received mail
    return st;
  };
  delivery::ServicePool services(backend, dir_opts);
  auto gateway = std::make_shared<delivery::LocalGateway>(
      delivery::GatewayOptions{cfg.server.hostname}, services, **mail);
  auto throttle = std::make_shared<auth::LoginThrottle>();

  auto smtp_server = [&](server::smtp::Mode mode) {
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
    return std::make_shared<server::smtp::SmtpServer>(o, gateway, pool, throttle);
  };
  struct SmtpListener {
    const char* name;
    const std::vector<config::Endpoint>* endpoints;
    server::smtp::Mode mode;
    bool implicit_tls;
  };
  for (const SmtpListener& l :
       {SmtpListener{"smtp", &cfg.listen.smtp, server::smtp::Mode::kMx, false},
        SmtpListener{"submission", &cfg.listen.submission, server::smtp::Mode::kSubmission, false},
        SmtpListener{"submissions", &cfg.listen.submissions, server::smtp::Mode::kSubmissions,
                     true}}) {
    if (l.endpoints->empty()) continue;
    auto srv = smtp_server(l.mode);
    net::ListenerSpec spec;
    spec.name = l.name;
    spec.endpoints = *l.endpoints;
    spec.implicit_tls = l.implicit_tls;
    spec.refuse_text = "421 4.7.0 Too many connections, try again later\r\n";
    spec.handler = [srv](std::shared_ptr<net::Connection> c) { return srv->session(std::move(c)); };
    if (auto st = server.add_listener(std::move(spec)); !st) return fail(1, st.error().message);
  }

  server::pop3::Options po;
  po.hostname = cfg.server.hostname;
  po.allow_plaintext_auth = cfg.pop3.allow_plaintext_auth;
  po.junk_command_limit = cfg.pop3.junk_command_limit;
  po.command_rate = cfg.pop3.command_rate;
  po.command_burst = cfg.pop3.command_burst;
  auto pop3 = std::make_shared<server::pop3::Pop3Server>(po, *gateway, **mail, pool, throttle);
  for (auto [name, eps, tls] : {std::tuple{"pop3", &cfg.listen.pop3, false},
                                std::tuple{"pop3s", &cfg.listen.pop3s, true}}) {
    if (eps->empty()) continue;
    net::ListenerSpec spec;
    spec.name = name;
    spec.endpoints = *eps;
    spec.implicit_tls = tls;
    spec.refuse_text = "-ERR [SYS/TEMP] Too many connections, try again later\r\n";
    spec.handler = [pop3](std::shared_ptr<net::Connection> c) {
      return pop3->session(std::move(c));
    };
    if (auto st = server.add_listener(std::move(spec)); !st) return fail(1, st.error().message);
  }

  server::imap::Options io;
  io.hostname = cfg.server.hostname;
  io.allow_plaintext_auth = cfg.imap.allow_plaintext_auth;
  io.max_idle_connections = cfg.imap.max_idle_connections;
  io.append_limit = static_cast<uint64_t>(cfg.imap.append_limit);
  io.max_line_bytes = static_cast<size_t>(cfg.limits.max_line_bytes);
  io.max_errors = cfg.imap.max_errors;
  io.literal_plus = cfg.imap.literal_plus;
  io.command_rate = cfg.imap.command_rate;
  io.command_burst = cfg.imap.command_burst;
  io.idle_timeout = std::chrono::seconds(cfg.limits.idle_timeout_seconds);
  auto imap = std::make_shared<server::imap::ImapServer>(io, *gateway, **mail, pool, throttle);
  for (auto [name, eps, tls] : {std::tuple{"imap", &cfg.listen.imap, false},
                                std::tuple{"imaps", &cfg.listen.imaps, true}}) {
    if (eps->empty()) continue;
    net::ListenerSpec spec;
    spec.name = name;
    spec.endpoints = *eps;
    spec.implicit_tls = tls;
    spec.refuse_text = "* BYE [UNAVAILABLE] Too many connections, try again later\r\n";
    spec.handler = [imap](std::shared_ptr<net::Connection> c) {
      return imap->session(std::move(c));
    };
    if (auto st = server.add_listener(std::move(spec)); !st) return fail(1, st.error().message);
  }

  auto router = std::make_shared<http::Router>();
  http::add_health_routes(*router, server);
  http::api::Deps api_deps;
  api_deps.services = &services;
  api_deps.pool = &pool;
  api_deps.throttle = throttle;
  api_deps.mail = mail->get();
  api_deps.sessions.lifetime_seconds = cfg.http.session_lifetime_seconds;
  api_deps.sessions.idle_timeout_seconds = cfg.http.session_idle_seconds;
  api_deps.hostname = cfg.server.hostname;
  api_deps.dkim_selector = cfg.outbound.dkim_selector;
  http::api::add_api_routes(*router, api_deps);
  http::add_static_routes(*router, cfg.http.web_root, &pool);
  auto http_server = std::make_shared<http::HttpServer>(cfg.http, router);

  if (!cfg.listen.http.empty()) {
    net::ListenerSpec spec;
    spec.name = "http";
    spec.endpoints = cfg.listen.http;
    spec.implicit_tls = cfg.http.tls;
    spec.refuse_text =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    spec.handler = [http_server](std::shared_ptr<net::Connection> c) {
      return http_server->session(std::move(c));
    };
    if (auto st = server.add_listener(std::move(spec)); !st) return fail(1, st.error().message);
  }

  // Hourly upkeep (and once at start): restorable deletes past the retention period are
  // purged with their mail; expired and idle panel sessions are swept.
  asio::co_spawn(
      server.main_context(),
      [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        while (true) {
          auto n = co_await pool.run([&] {
            return services.with([&](delivery::Services& s) -> base::Result<int> {
              auto swept = auth::WebSessions(*s.sessions, api_deps.sessions).sweep(base::unix_now());
              if (!swept) spdlog::warn("sweep of web sessions failed: {}", swept.error().message);
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
  std::shared_ptr<queue::Runner> runner;
  if (cfg.outbound.enabled) {
    auto ro = runner_options(cfg);
    if (!ro) return fail(2, ro.error().message);
    if (cfg.outbound.dkim_sign) {
      // Mail of local senders leaves signed with their domain's keys (made on first need).
      ro->sign = [&services, selector = cfg.outbound.dkim_selector](
                     const std::string& sender, const std::string& body) -> std::string {
        auto at = sender.rfind('@');
        if (at == std::string::npos) return body;
        std::string domain = base::to_lower(sender.substr(at + 1));
        int64_t now = base::unix_now();
        auto keys = services.with(
            [&](delivery::Services& s) -> base::Result<std::vector<queue::DkimKey>> {
              if (!PH_TRY(s.directory->is_local_domain(domain))) {
                return std::vector<queue::DkimKey>{};
              }
              queue::DkimKeys k(*s.dkim_keys);
              return k.ensure(domain, selector, now);
            });
        if (!keys) {
          spdlog::warn("dkim: no keys for {}: {}", domain, keys.error().message);
          return body;
        }
        return queue::dkim_sign_all(*keys, body, now);
      };
    }
    runner = std::make_shared<queue::Runner>(
        std::move(*ro),
        [&services](const std::function<base::Status(queue::QueueStore&)>& f) {
          return services.with([&](delivery::Services& s) { return f(*s.queue); });
        },
        [gateway](const std::string& to, std::string message, std::optional<int64_t> origin) {
          return gateway->deliver_system(to, std::move(message), origin.value_or(0));
        },
        pool);
    runner->start(server.main_context().get_executor());
  }
  for (const auto& b : server.bound()) spdlog::info("listening: {}", b);
  spdlog::info("posthouse {} serving {} (data {})", POSTHOUSE_VERSION, cfg.server.hostname,
               cfg.server.data_dir);
  server.run();
  if (runner) runner->stop();
  pool.stop();
  (*mail)->stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace posthouse::app
