#include "config/config.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "base/strings.h"
#include "config/section.h"

namespace posthouse::config {
namespace {

using base::Errc;
using base::Error;
using detail::Section;
using detail::read_antispam;

std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p.front() == '/') return p;
  std::string out = (std::filesystem::path(base_dir) / p).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace

std::string Endpoint::to_string() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

base::Result<Endpoint> parse_endpoint(std::string_view s) {
  Endpoint ep;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return Error(Errc::kInvalid, fmt::format("bad address \"{}\": expected [v6addr]:port", s));
    ep.host = std::string(s.substr(1, close - 1));
    port = s.substr(close + 2);
    in6_addr a6;
    if (inet_pton(AF_INET6, ep.host.c_str(), &a6) != 1)
      return Error(Errc::kInvalid, fmt::format("bad IPv6 address \"{}\"", ep.host));
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos)
      return Error(Errc::kInvalid, fmt::format("bad address \"{}\": expected host:port", s));
    ep.host = std::string(s.substr(0, colon));
    port = s.substr(colon + 1);
    in_addr a4;
    if (inet_pton(AF_INET, ep.host.c_str(), &a4) != 1)
      return Error(Errc::kInvalid,
                   fmt::format("bad address \"{}\": host must be a numeric IPv4 address or "
                               "a bracketed IPv6 address",
                               s));
  }
  if (port.empty() || port.size() > 5)
    return Error(Errc::kInvalid, fmt::format("bad port in \"{}\"", s));
  unsigned v = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return Error(Errc::kInvalid, fmt::format("bad port in \"{}\"", s));
    v = v * 10 + (c - '0');
  }
  if (v == 0 || v > 65535)
    return Error(Errc::kInvalid, fmt::format("port out of range in \"{}\"", s));
  ep.port = static_cast<uint16_t>(v);
  return ep;
}

namespace {

// One function per table: each reads its keys with their ranges, in the order they are
// documented, and checks what a range cannot say.

base::Status read_server(Section& s, Server& o) {
  PH_CHECK(s.get_string("hostname", o.hostname));
  o.data_dir = ".";
  PH_CHECK(s.get_string("data_dir", o.data_dir));
  PH_CHECK(s.get_int("threads", o.threads, 0, 256));
  PH_CHECK(s.get_int("blocking_threads", o.blocking_threads, 1, 256));
  PH_CHECK(s.get_string("log_level", o.log_level));
  static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error"};
  if (!levels.count(o.log_level))
    return s.err(s.at("log_level"), "log_level", "must be one of trace, debug, info, warn, error");
  return {};
}

base::Status read_listen(Section& s, Listen& o) {
  PH_CHECK(s.get_endpoints("smtp", o.smtp));
  PH_CHECK(s.get_endpoints("submission", o.submission));
  PH_CHECK(s.get_endpoints("submissions", o.submissions));
  PH_CHECK(s.get_endpoints("imap", o.imap));
  PH_CHECK(s.get_endpoints("imaps", o.imaps));
  PH_CHECK(s.get_endpoints("pop3", o.pop3));
  PH_CHECK(s.get_endpoints("pop3s", o.pop3s));
  PH_CHECK(s.get_endpoints("http", o.http));
  return {};
}

base::Status read_tls(Section& s, Tls& o) {
  PH_CHECK(s.get_string("cert", o.cert));
  PH_CHECK(s.get_string("key", o.key));
  return {};
}

base::Status read_limits(Section& s, Limits& o) {
  PH_CHECK(s.get_int("max_connections", o.max_connections, 1, 1000000));
  PH_CHECK(s.get_int("max_connections_per_ip", o.max_connections_per_ip, 1, 1000000));
  PH_CHECK(s.get_int("idle_timeout_seconds", o.idle_timeout_seconds, 1, 86400));
  PH_CHECK(s.get_int("max_line_bytes", o.max_line_bytes, 512, 16 << 20));
  PH_CHECK(s.get_int("max_buffer_bytes", o.max_buffer_bytes, 4096, 1 << 30));
  PH_CHECK(s.get_int("shutdown_grace_seconds", o.shutdown_grace_seconds, 0, 3600));
  PH_CHECK(s.get_int64("max_inflight_bytes", o.max_inflight_bytes, 1024, int64_t{1} << 50));
  return {};
}

base::Status read_http(Section& s, Http& o) {
  PH_CHECK(s.get_bool("tls", o.tls));
  PH_CHECK(s.get_int("max_header_bytes", o.max_header_bytes, 1024, 1 << 20));
  PH_CHECK(s.get_int("max_body_bytes", o.max_body_bytes, 1024, 1 << 30));
  PH_CHECK(s.get_int("session_lifetime_seconds", o.session_lifetime_seconds, 1, 30 * 86400));
  PH_CHECK(s.get_int("session_idle_seconds", o.session_idle_seconds, 1, 30 * 86400));
  o.web_root = POSTHOUSE_WEB_ROOT;
  PH_CHECK(s.get_string("web_root", o.web_root));
  return {};
}

base::Status read_directory(Section& s, Directory& o) {
  PH_CHECK(s.get_int("password_min_length", o.password_min_length, 1, 1024));
  PH_CHECK(s.get_int("retention_days", o.retention_days, 0, 3650));
  PH_CHECK(s.get_int("password_hash_ops", o.password_hash_ops, 1, 64));
  PH_CHECK(s.get_int("password_hash_memory_kib", o.password_hash_memory_kib, 8, 4 << 20));
  PH_CHECK(s.get_int("auth_cache_ttl_seconds", o.auth_cache_ttl_seconds, 0, 86400));
  PH_CHECK(s.get_int("auth_cache_size", o.auth_cache_size, 0, 10000000));
  return {};
}

// The keys [smtp], [pop3] and [imap] share, read last in each: the command budget.
base::Status read_command_rate(Section& s, int& rate, int& burst) {
  PH_CHECK(s.get_int("command_rate", rate, 0, 1000000));
  PH_CHECK(s.get_int("command_burst", burst, 1, 1000000));
  return {};
}

// A byte count up to 1 GiB held in an int64_t field (read through get_int's int).
base::Status get_bytes(Section& s, std::string_view key, int64_t& out, int lo) {
  int v = static_cast<int>(std::min<int64_t>(out, 1 << 30));
  PH_CHECK(s.get_int(key, v, lo, 1 << 30));
  out = v;
  return {};
}

base::Status read_smtp(Section& s, Smtp& o) {
  PH_CHECK(get_bytes(s, "max_message_bytes", o.max_message_bytes, 1024));
  PH_CHECK(s.get_int("max_recipients", o.max_recipients, 1, 100000));
  PH_CHECK(s.get_int("max_bad_recipients", o.max_bad_recipients, 1, 100000));
  PH_CHECK(s.get_bool("allow_plaintext_auth", o.allow_plaintext_auth));
  PH_CHECK(s.get_choice("bare_lf", o.bare_lf, {"normalize", "reject"}));
  PH_CHECK(s.get_int("junk_command_limit", o.junk_command_limit, 0, 1000000));
  PH_CHECK(s.get_int("pregreet_delay_ms", o.pregreet_delay_ms, 0, 30000));
  PH_CHECK(s.get_int("rdns_timeout_ms", o.rdns_timeout_ms, 0, 30000));
  return read_command_rate(s, o.command_rate, o.command_burst);
}

base::Status read_pop3(Section& s, Pop3& o) {
  PH_CHECK(s.get_bool("allow_plaintext_auth", o.allow_plaintext_auth));
  PH_CHECK(s.get_int("junk_command_limit", o.junk_command_limit, 0, 1000000));
  return read_command_rate(s, o.command_rate, o.command_burst);
}

base::Status read_imap(Section& s, Imap& o) {
  PH_CHECK(s.get_bool("allow_plaintext_auth", o.allow_plaintext_auth));
  PH_CHECK(s.get_int("max_idle_connections", o.max_idle_connections, 0, 1000000));
  PH_CHECK(get_bytes(s, "append_limit", o.append_limit, 1024));
  PH_CHECK(s.get_int("max_errors", o.max_errors, 1, 100000));
  PH_CHECK(s.get_bool("literal_plus", o.literal_plus));
  PH_CHECK(s.get_bool("search_index", o.search_index));
  return read_command_rate(s, o.command_rate, o.command_burst);
}

base::Status read_testing(Section& s, Testing& o) {
  PH_CHECK(s.get_string("fault_file", o.fault_file));
  PH_CHECK(s.get_bool("allow_weak_password_hash", o.allow_weak_password_hash));
  return s.get_string("clock_file", o.clock_file);
}

// A password cost below OWASP's minimum is a configuration error, named by its key, unless the
// tests or the bench allow it explicitly (serve then warns in the log).
base::Status check_password_cost(const Config& c, const std::string& path) {
  if (!password_hash_below_minimum(c.directory) || c.testing.allow_weak_password_hash) return {};
  return Error(
      Errc::kInvalid,
      fmt::format("{}: [directory] password_hash_memory_kib: {} KiB with "
                  "password_hash_ops = {} is below the minimum for argon2id ({} KiB "
                  "with 2 or more passes, {} KiB with 1)",
                  path, c.directory.password_hash_memory_kib, c.directory.password_hash_ops,
                  kMinHashMemoryKib2Passes, kMinHashMemoryKib1Pass),
      "password_hash_memory_kib");
}

// [outbound]'s smarthost keys: the mode, the credentials, and per-sender-domain routes.
base::Status read_smarthost(Section& s, Outbound& o) {
  PH_CHECK(s.get_string("smarthost", o.smarthost));
  PH_CHECK(s.get_string("smarthost_tls", o.smarthost_tls));
  static const std::set<std::string> tls_modes = {"none", "starttls", "required", "implicit"};
  if (!tls_modes.count(o.smarthost_tls))
    return s.err(s.at("smarthost_tls"), "smarthost_tls",
                 "must be one of none, starttls, required, implicit");
  PH_CHECK(s.get_string("smarthost_user", o.smarthost_user));
  PH_CHECK(s.get_string("smarthost_password", o.smarthost_password));
  PH_CHECK(s.get_strings("smarthost_domains", o.smarthost_domains));
  for (const auto& d : o.smarthost_domains) {
    auto eq = d.find('=');
    if (eq == std::string::npos || eq == 0 || d.rfind(':') == std::string::npos ||
        d.rfind(':') < eq)
      return s.err(s.at("smarthost_domains"), "smarthost_domains",
                   fmt::format("\"{}\": expected \"sender.domain=host:port\"", d));
  }
  if (!o.smarthost.empty() && o.smarthost.rfind(':') == std::string::npos)
    return s.err(s.at("smarthost"), "smarthost", "expected \"host:port\"");
  return {};
}

base::Status read_outbound(Section& s, Outbound& o) {
  PH_CHECK(s.get_bool("enabled", o.enabled));
  PH_CHECK(s.get_string("resolver", o.resolver));
  if (!o.resolver.empty()) {
    if (auto ep = parse_endpoint(o.resolver); !ep)
      return s.err(s.at("resolver"), "resolver", ep.error().message);
  }
  PH_CHECK(s.get_int("mx_port", o.mx_port, 1, 65535));
  PH_CHECK(s.get_int("poll_interval_seconds", o.poll_interval_seconds, 1, 3600));
  PH_CHECK(s.get_int("retry_initial_seconds", o.retry_initial_seconds, 1, 86400));
  PH_CHECK(s.get_int("retry_max_seconds", o.retry_max_seconds, 1, 604800));
  PH_CHECK(s.get_int("max_age_seconds", o.max_age_seconds, 1, 60 * 86400));
  PH_CHECK(s.get_int("concurrency", o.concurrency, 1, 10000));
  PH_CHECK(s.get_int("concurrency_per_domain", o.concurrency_per_domain, 1, 10000));
  PH_CHECK(s.get_int("max_messages_per_connection", o.max_messages_per_connection, 1, 10000));
  PH_CHECK(s.get_int("connection_idle_seconds", o.connection_idle_seconds, 1, 3600));
  PH_CHECK(s.get_int("delay_warning_seconds", o.delay_warning_seconds, 0, 60 * 86400));
  PH_CHECK(s.get_string("tls_ca_file", o.tls_ca_file));
  PH_CHECK(s.get_int("connect_timeout_seconds", o.connect_timeout_seconds, 1, 3600));
  PH_CHECK(s.get_int("command_timeout_seconds", o.command_timeout_seconds, 1, 3600));
  PH_CHECK(s.get_int("max_received_headers", o.max_received_headers, 1, 10000));
  PH_CHECK(s.get_strings("require_tls_domains", o.require_tls_domains));
  PH_CHECK(read_smarthost(s, o));
  PH_CHECK(s.get_string("dkim_selector", o.dkim_selector));
  PH_CHECK(s.get_bool("dkim_sign", o.dkim_sign));
  return {};
}

// Reads table `name` of `root` (absent: every key keeps its default) with `read`, then refuses
// the keys `read` did not ask for.
template <class T>
base::Status read_table(const toml::table& root, const char* name, const std::string& path,
                        base::Status (*read)(Section&, T&), T& out) {
  Section s(root[name].as_table(), name, path);
  PH_CHECK(read(s, out));
  return s.finish();
}

// Relative paths: data_dir from the config file's folder, the others from data_dir.
void resolve_paths(Config& c, const std::string& base_dir) {
  c.server.data_dir = resolve(base_dir, c.server.data_dir);
  if (c.tls.cert.empty()) c.tls.cert = "tls/cert.pem";
  if (c.tls.key.empty()) c.tls.key = "tls/key.pem";
  c.tls.cert = resolve(c.server.data_dir, c.tls.cert);
  c.tls.key = resolve(c.server.data_dir, c.tls.key);
  if (!c.http.web_root.empty()) c.http.web_root = resolve(c.server.data_dir, c.http.web_root);
  if (!c.outbound.tls_ca_file.empty()) {
    c.outbound.tls_ca_file = resolve(c.server.data_dir, c.outbound.tls_ca_file);
  }
  if (!c.testing.fault_file.empty()) {
    c.testing.fault_file = resolve(c.server.data_dir, c.testing.fault_file);
  }
  if (!c.testing.clock_file.empty()) {
    c.testing.clock_file = resolve(c.server.data_dir, c.testing.clock_file);
  }
  if (!c.antispam.rspamd_password_file.empty()) {
    c.antispam.rspamd_password_file = resolve(c.server.data_dir, c.antispam.rspamd_password_file);
  }
}

}  // namespace

bool password_hash_below_minimum(const Directory& d) {
  int mem = d.password_hash_memory_kib;
  return !(mem >= kMinHashMemoryKib1Pass ||
           (d.password_hash_ops >= 2 && mem >= kMinHashMemoryKib2Passes));
}

base::Result<Config> parse(std::string_view text, const std::string& path) {
  // toml++ is built with exceptions here; parsing happens at start only, where they are allowed.
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return Error(Errc::kInvalid,
                 fmt::format("{}:{}: {}", path, e.source().begin.line, e.description()));
  }
  Config c;
  c.path = path;
  std::string base_dir =
      std::filesystem::absolute(std::filesystem::path(path)).parent_path().string();

  const std::set<std::string> known = {"server", "listen",    "tls",     "limits",
                                       "http",   "directory", "smtp",    "pop3",
                                       "imap",   "testing",   "outbound", "antispam"};
  for (auto&& [k, v] : root) {
    if (!known.count(std::string(k.str())) || !v.is_table()) {
      return Error(Errc::kInvalid,
                   fmt::format("{}:{}: {}: unknown section", path, v.source().begin.line, k.str()),
                   std::string(k.str()));
    }
  }
  PH_CHECK(read_table(root, "server", path, read_server, c.server));
  PH_CHECK(read_table(root, "listen", path, read_listen, c.listen));
  PH_CHECK(read_table(root, "tls", path, read_tls, c.tls));
  PH_CHECK(read_table(root, "limits", path, read_limits, c.limits));
  PH_CHECK(read_table(root, "http", path, read_http, c.http));
  PH_CHECK(read_table(root, "directory", path, read_directory, c.directory));
  PH_CHECK(read_table(root, "smtp", path, read_smtp, c.smtp));
  PH_CHECK(read_table(root, "pop3", path, read_pop3, c.pop3));
  PH_CHECK(read_table(root, "imap", path, read_imap, c.imap));
  PH_CHECK(read_table(root, "testing", path, read_testing, c.testing));
  PH_CHECK(read_table(root, "outbound", path, read_outbound, c.outbound));
  PH_CHECK(read_table(root, "antispam", path, read_antispam, c.antispam));
  PH_CHECK(check_password_cost(c, path));
  resolve_paths(c, base_dir);
  return c;
}

base::Result<Config> load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(Errc::kIo,
                 fmt::format("{}: cannot read config file: {}", path, std::strerror(errno)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

std::string default_file_text(std::string_view hostname) {
  return fmt::format(R"(# Posthouse configuration. Every key is documented in docs/config.md.

[server]
hostname = "{}"
data_dir = "."          # relative to this file
threads = 0             # I/O threads; 0 = one per core
log_level = "info"

[listen]
# An address "ip:port", an array of them, or "" to switch a listener off.
smtp = "127.0.0.1:2525"
submission = "127.0.0.1:5870"
submissions = "127.0.0.1:4650"
imap = "127.0.0.1:1143"
imaps = "127.0.0.1:9930"
pop3 = "127.0.0.1:1110"
pop3s = "127.0.0.1:9950"
http = "127.0.0.1:8080"

[tls]
cert = "tls/cert.pem"
key = "tls/key.pem"

[limits]
max_connections = 2000
max_connections_per_ip = 50
idle_timeout_seconds = 300
shutdown_grace_seconds = 10
)",
                     hostname);
}

}  // namespace posthouse::config
