#include "config/config.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

namespace posthouse::config {
namespace {

using base::Errc;
using base::Error;

// Reads one table, remembering which keys were consumed so leftovers are reported.
class Section {
 public:
  Section(const toml::table* t, std::string name, const std::string& file)
      : t_(t), name_(std::move(name)), file_(file) {}

  Error err(const toml::node* n, std::string_view key, std::string_view msg) const {
    int line = n ? static_cast<int>(n->source().begin.line) : 0;
    return Error(Errc::kInvalid, fmt::format("{}:{}: {}.{}: {}", file_, line, name_, key, msg),
                 fmt::format("{}.{}", name_, key));
  }

  const toml::node* get(std::string_view key) {
    seen_.insert(std::string(key));
    return t_ ? t_->get(key) : nullptr;
  }

  base::Status get_int(std::string_view key, int& out, int lo, int hi) {
    auto n = get(key);
    if (!n) return {};
    auto v = n->value<int64_t>();
    if (!n->is_integer() || !v) return err(n, key, "expected an integer");
    if (*v < lo || *v > hi) return err(n, key, fmt::format("must be between {} and {}", lo, hi));
    out = static_cast<int>(*v);
    return {};
  }

  base::Status get_bool(std::string_view key, bool& out) {
    auto n = get(key);
    if (!n) return {};
    if (!n->is_boolean()) return err(n, key, "expected true or false");
    out = *n->value<bool>();
    return {};
  }

  base::Status get_string(std::string_view key, std::string& out) {
    auto n = get(key);
    if (!n) return {};
    if (!n->is_string()) return err(n, key, "expected a string");
    out = *n->value<std::string>();
    return {};
  }

  // A string address, or an array of them; "" or [] disables.
  base::Status get_endpoints(std::string_view key, std::vector<Endpoint>& out) {
    auto n = get(key);
    if (!n) return {};
    std::vector<const toml::node*> items;
    if (n->is_string()) {
      if (!n->value<std::string>()->empty()) items.push_back(n);
    } else if (n->is_array()) {
      for (auto& e : *n->as_array()) items.push_back(&e);
    } else {
      return err(n, key, "expected an address string like \"127.0.0.1:25\" or an array of them");
    }
    out.clear();
    for (auto* item : items) {
      if (!item->is_string()) return err(item, key, "expected an address string");
      auto ep = parse_endpoint(*item->value<std::string>());
      if (!ep) return err(item, key, ep.error().message);
      out.push_back(*ep);
    }
    return {};
  }

  base::Status get_strings(std::string_view key, std::vector<std::string>& out) {
    auto n = get(key);
    if (!n) return {};
    if (!n->is_array()) return err(n, key, "expected an array of strings");
    out.clear();
    for (auto& e : *n->as_array()) {
      if (!e.is_string()) return err(&e, key, "expected an array of strings");
      out.push_back(*e.value<std::string>());
    }
    return {};
  }

  base::Status finish() {
    if (!t_) return {};
    for (auto&& [k, v] : *t_) {
      if (!seen_.count(std::string(k.str()))) return err(&v, k.str(), "unknown key");
    }
    return {};
  }

 private:
  const toml::table* t_;
  std::string name_;
  const std::string& file_;
  std::set<std::string> seen_;
};

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
  if (v == 0 || v > 65535) return Error(Errc::kInvalid, fmt::format("port out of range in \"{}\"", s));
  ep.port = static_cast<uint16_t>(v);
  return ep;
}

base::Result<Config> parse(std::string_view text, const std::string& path) {
  // toml++ is built with exceptions here; parsing happens at start only, where they are allowed.
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return Error(Errc::kInvalid, fmt::format("{}:{}: {}", path, e.source().begin.line,
                                             e.description()));
  }
  Config c;
  c.path = path;
  std::string base_dir =
      std::filesystem::absolute(std::filesystem::path(path)).parent_path().string();

  const std::set<std::string> known = {"server", "listen", "tls",       "limits",
                                       "http",   "directory", "smtp", "pop3", "imap",
                                       "testing", "outbound"};
  for (auto&& [k, v] : root) {
    if (!known.count(std::string(k.str())) || !v.is_table()) {
      return Error(Errc::kInvalid,
                   fmt::format("{}:{}: {}: unknown section", path, v.source().begin.line, k.str()),
                   std::string(k.str()));
    }
  }
  auto table = [&](const char* name) { return root[name].as_table(); };

  {
    Section s(table("server"), "server", path);
    PH_CHECK(s.get_string("hostname", c.server.hostname));
    c.server.data_dir = ".";
    PH_CHECK(s.get_string("data_dir", c.server.data_dir));
    PH_CHECK(s.get_int("threads", c.server.threads, 0, 256));
    PH_CHECK(s.get_int("blocking_threads", c.server.blocking_threads, 1, 256));
    PH_CHECK(s.get_string("log_level", c.server.log_level));
    static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error"};
    if (!levels.count(c.server.log_level))
      return s.err(table("server")->get("log_level"), "log_level",
                   "must be one of trace, debug, info, warn, error");
    PH_CHECK(s.finish());
  }
  {
    Section s(table("listen"), "listen", path);
    PH_CHECK(s.get_endpoints("smtp", c.listen.smtp));
    PH_CHECK(s.get_endpoints("submission", c.listen.submission));
    PH_CHECK(s.get_endpoints("submissions", c.listen.submissions));
    PH_CHECK(s.get_endpoints("imap", c.listen.imap));
    PH_CHECK(s.get_endpoints("imaps", c.listen.imaps));
    PH_CHECK(s.get_endpoints("pop3", c.listen.pop3));
    PH_CHECK(s.get_endpoints("pop3s", c.listen.pop3s));
    PH_CHECK(s.get_endpoints("http", c.listen.http));
    PH_CHECK(s.finish());
  }
  {
    Section s(table("tls"), "tls", path);
    PH_CHECK(s.get_string("cert", c.tls.cert));
    PH_CHECK(s.get_string("key", c.tls.key));
    PH_CHECK(s.finish());
  }
  {
    Section s(table("limits"), "limits", path);
    PH_CHECK(s.get_int("max_connections", c.limits.max_connections, 1, 1000000));
    PH_CHECK(s.get_int("max_connections_per_ip", c.limits.max_connections_per_ip, 1, 1000000));
    PH_CHECK(s.get_int("idle_timeout_seconds", c.limits.idle_timeout_seconds, 1, 86400));
    PH_CHECK(s.get_int("max_line_bytes", c.limits.max_line_bytes, 512, 16 << 20));
    PH_CHECK(s.get_int("max_buffer_bytes", c.limits.max_buffer_bytes, 4096, 1 << 30));
    PH_CHECK(s.get_int("shutdown_grace_seconds", c.limits.shutdown_grace_seconds, 0, 3600));
    PH_CHECK(s.finish());
  }
  {
    Section s(table("http"), "http", path);
    PH_CHECK(s.get_bool("tls", c.http.tls));
    PH_CHECK(s.get_int("max_header_bytes", c.http.max_header_bytes, 1024, 1 << 20));
    PH_CHECK(s.get_int("max_body_bytes", c.http.max_body_bytes, 1024, 1 << 30));
    PH_CHECK(s.get_int("session_lifetime_seconds", c.http.session_lifetime_seconds, 1,
                       30 * 86400));
    PH_CHECK(s.get_int("session_idle_seconds", c.http.session_idle_seconds, 1, 30 * 86400));
    c.http.web_root = POSTHOUSE_WEB_ROOT;
    PH_CHECK(s.get_string("web_root", c.http.web_root));
    PH_CHECK(s.finish());
  }
  {
    Section s(table("directory"), "directory", path);
    PH_CHECK(s.get_int("password_min_length", c.directory.password_min_length, 1, 1024));
    PH_CHECK(s.get_int("retention_days", c.directory.retention_days, 0, 3650));
    PH_CHECK(s.get_int("password_hash_ops", c.directory.password_hash_ops, 1, 64));
    PH_CHECK(s.get_int("password_hash_memory_kib", c.directory.password_hash_memory_kib, 8,
                       4 << 20));
    PH_CHECK(s.get_int("auth_cache_ttl_seconds", c.directory.auth_cache_ttl_seconds, 0, 86400));
    PH_CHECK(s.get_int("auth_cache_size", c.directory.auth_cache_size, 0, 10000000));
    PH_CHECK(s.finish());
  }
  {
    Section s(table("smtp"), "smtp", path);
    int64_t mmb = c.smtp.max_message_bytes;
    int mmb_int = static_cast<int>(std::min<int64_t>(mmb, 1 << 30));
    PH_CHECK(s.get_int("max_message_bytes", mmb_int, 1024, 1 << 30));
    c.smtp.max_message_bytes = mmb_int;
    PH_CHECK(s.get_int("max_recipients", c.smtp.max_recipients, 1, 100000));
    PH_CHECK(s.get_int("max_bad_recipients", c.smtp.max_bad_recipients, 1, 100000));
    PH_CHECK(s.get_bool("allow_plaintext_auth", c.smtp.allow_plaintext_auth));
    PH_CHECK(s.get_string("bare_lf", c.smtp.bare_lf));
    if (c.smtp.bare_lf != "normalize" && c.smtp.bare_lf != "reject")
      return s.err(table("smtp")->get("bare_lf"), "bare_lf", "must be \"normalize\" or \"reject\"");
    PH_CHECK(s.get_int("junk_command_limit", c.smtp.junk_command_limit, 0, 1000000));
    PH_CHECK(s.get_int("command_rate", c.smtp.command_rate, 0, 1000000));
    PH_CHECK(s.get_int("command_burst", c.smtp.command_burst, 1, 1000000));
    PH_CHECK(s.finish());
  }
  {
    Section s(table("pop3"), "pop3", path);
    PH_CHECK(s.get_bool("allow_plaintext_auth", c.pop3.allow_plaintext_auth));
    PH_CHECK(s.get_int("junk_command_limit", c.pop3.junk_command_limit, 0, 1000000));
    PH_CHECK(s.get_int("command_rate", c.pop3.command_rate, 0, 1000000));
    PH_CHECK(s.get_int("command_burst", c.pop3.command_burst, 1, 1000000));
    PH_CHECK(s.finish());
  }
  {
    Section s(table("imap"), "imap", path);
    PH_CHECK(s.get_bool("allow_plaintext_auth", c.imap.allow_plaintext_auth));
    PH_CHECK(s.get_int("max_idle_connections", c.imap.max_idle_connections, 0, 1000000));
    int al = static_cast<int>(std::min<int64_t>(c.imap.append_limit, 1 << 30));
    PH_CHECK(s.get_int("append_limit", al, 1024, 1 << 30));
    c.imap.append_limit = al;
    PH_CHECK(s.get_int("max_errors", c.imap.max_errors, 1, 100000));
    PH_CHECK(s.get_bool("literal_plus", c.imap.literal_plus));
    PH_CHECK(s.get_int("command_rate", c.imap.command_rate, 0, 1000000));
    PH_CHECK(s.get_int("command_burst", c.imap.command_burst, 1, 1000000));
    PH_CHECK(s.finish());
  }
  {
    Section s(table("testing"), "testing", path);
    PH_CHECK(s.get_string("fault_file", c.testing.fault_file));
    PH_CHECK(s.get_string("clock_file", c.testing.clock_file));
    PH_CHECK(s.finish());
  }
  {
    Section s(table("outbound"), "outbound", path);
    auto& o = c.outbound;
    PH_CHECK(s.get_bool("enabled", o.enabled));
    PH_CHECK(s.get_string("resolver", o.resolver));
    if (!o.resolver.empty()) {
      if (auto ep = parse_endpoint(o.resolver); !ep)
        return s.err(table("outbound")->get("resolver"), "resolver", ep.error().message);
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
    PH_CHECK(s.get_string("smarthost", o.smarthost));
    PH_CHECK(s.get_string("smarthost_tls", o.smarthost_tls));
    static const std::set<std::string> tls_modes = {"none", "starttls", "required", "implicit"};
    if (!tls_modes.count(o.smarthost_tls))
      return s.err(table("outbound")->get("smarthost_tls"), "smarthost_tls",
                   "must be one of none, starttls, required, implicit");
    PH_CHECK(s.get_string("smarthost_user", o.smarthost_user));
    PH_CHECK(s.get_string("smarthost_password", o.smarthost_password));
    PH_CHECK(s.get_strings("smarthost_domains", o.smarthost_domains));
    for (const auto& d : o.smarthost_domains) {
      auto eq = d.find('=');
      if (eq == std::string::npos || eq == 0 || d.rfind(':') == std::string::npos ||
          d.rfind(':') < eq)
        return s.err(table("outbound")->get("smarthost_domains"), "smarthost_domains",
                     fmt::format("\"{}\": expected \"sender.domain=host:port\"", d));
    }
    if (!o.smarthost.empty() && o.smarthost.rfind(':') == std::string::npos)
      return s.err(table("outbound")->get("smarthost"), "smarthost", "expected \"host:port\"");
    PH_CHECK(s.get_string("dkim_selector", o.dkim_selector));
    PH_CHECK(s.get_bool("dkim_sign", o.dkim_sign));
    PH_CHECK(s.finish());
  }
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
  return c;
}

base::Result<Config> load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(Errc::kIo, fmt::format("{}: cannot read config file: {}", path,
                                        std::strerror(errno)));
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
