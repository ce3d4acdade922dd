// Posthouse configuration: one TOML file (toml++), validated in full at start.
//
// Contract: load() either returns a complete Config with every default filled in, or an error
// whose message names file:line and the key ("posthouse.toml:12: listen.smtp: ..."). Unknown
// keys and wrong types are errors, never ignored: a typo must not silently fall back to a
// default. Every key is documented in docs/config.md. Relative paths are resolved against the
// directory holding the config file. Immutable after load; safe to share across threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace posthouse::config {

struct Endpoint {
  std::string host;  // numeric IPv4 or IPv6 address, no brackets
  uint16_t port = 0;
  std::string to_string() const;  // "127.0.0.1:25", "[::1]:25"
};

// Parses "127.0.0.1:2525", "[::1]:2525", "0.0.0.0:25", "[::]:25".
base::Result<Endpoint> parse_endpoint(std::string_view s);

struct Listen {
  // An empty vector disables the listener.
  std::vector<Endpoint> smtp, submission, submissions, imap, imaps, pop3, pop3s, http;
};

struct Tls {
  std::string cert;  // PEM certificate chain
  std::string key;   // PEM private key
};

struct Limits {
  int max_connections = 2000;
  int max_connections_per_ip = 50;
  int idle_timeout_seconds = 300;
  int max_line_bytes = 65536;
  int max_buffer_bytes = 1 << 20;
  int shutdown_grace_seconds = 10;
  // Bytes of messages being received over SMTP, all sessions together; past it a new DATA or
  // BDAT gets 452 4.3.1.
  int64_t max_inflight_bytes = int64_t{512} << 20;
};

struct Http {
  bool tls = false;
  int max_header_bytes = 16384;
  int max_body_bytes = 1 << 20;
  int session_lifetime_seconds = 12 * 3600;  // a panel session ends this long after login
  int session_idle_seconds = 3600;           // ... or after this long without a request
  // The built web panel (web/dist); relative to data_dir; "" serves no panel. The default is
  // the source tree's web/dist, compiled in (POSTHOUSE_WEB_ROOT), so `make run` just works.
  std::string web_root;
};

struct Server {
  std::string hostname = "localhost";
  std::string data_dir;  // absolute after load
  int threads = 0;       // 0 = one per core
  int blocking_threads = 4;
  std::string log_level = "info";
};

struct Directory {
  int password_min_length = 10;
  int retention_days = 30;
  // argon2id cost for new password hashes (libsodium's INTERACTIVE level by default). A cost
  // below the OWASP minimum is refused at load unless [testing] allow_weak_password_hash.
  int password_hash_ops = 2;
  int password_hash_memory_kib = 65536;
  // Verified-credential cache for mail logins (auth/credential_cache.h); ttl 0 disables it.
  int auth_cache_ttl_seconds = 300;
  int auth_cache_size = 10000;
};

struct Smtp {
  int64_t max_message_bytes = 50ll << 20;
  int max_recipients = 100;
  int max_bad_recipients = 20;
  bool allow_plaintext_auth = false;  // AUTH on submission without TLS (tests, trusted LANs)
  std::string bare_lf = "normalize";  // or "reject"
  int junk_command_limit = 100;       // NOOP/RSET/VRFY/HELP/EHLO/... per accepted message
  int command_rate = 500;             // commands per second per connection (0: unlimited)
  int command_burst = 1000;           // commands accepted at once before the rate applies
  int pregreet_delay_ms = 500;        // MX: listen this long before the 220 (0: greet at once)
  int rdns_timeout_ms = 2000;         // longest wait for the client's FCrDNS name (0: no lookup)
};

struct Pop3 {
  bool allow_plaintext_auth = false;
  int junk_command_limit = 100;  // NOOP/RSET/STAT/LIST/UIDL/CAPA/... between two RETR/TOP/DELE
  int command_rate = 500;        // commands per second per connection (0: unlimited)
  int command_burst = 1000;      // commands accepted at once before the rate applies
};

struct Imap {
  bool allow_plaintext_auth = false;  // LOGIN/AUTHENTICATE without TLS (tests, trusted LANs)
  int max_idle_connections = 1000;    // concurrent IDLE sessions; more get NO [LIMIT]
  int64_t append_limit = 50ll << 20;  // largest APPEND literal (APPENDLIMIT)
  int max_errors = 20;                // BAD replies per session before BYE
  bool literal_plus = true;           // LITERAL+; false: LITERAL- (non-sync literals <= 4096)
  bool search_index = true;           // full-text index for SEARCH SUBJECT/BODY/TEXT
  int command_rate = 500;             // commands per second per connection (0: unlimited)
  int command_burst = 1000;           // commands accepted at once before the rate applies
};

// One DNS list the MX consults ([[antispam.dnsbl]], docs/antispam.md, RFC 5782).
struct DnsList {
  std::string zone;     // "zen.spamhaus.org", lower case, no trailing dot
  bool domain = false;  // type = "domain": HELO and MAIL FROM domains (RHSBL); "ip": the client
  bool allow = false;   // list = "allow": an allow list (DNSWL); "block": a block list
  // The A answers that mean "listed": inclusive IPv4 ranges in host byte order, each in
  // 127.0.0.0/8 and outside 127.255.255.0/24 (the lists' "query refused" codes). Empty: the
  // default of the list's kind (antispam/dnsbl.h).
  std::vector<std::pair<uint32_t, uint32_t>> codes;
};

// Inbound sender checks (docs/antispam.md).
struct Antispam {
  bool checks = true;            // SPF, DKIM and DMARC on mail the MX receives from outside
  std::string authserv_id;       // Authentication-Results id; "" = [server] hostname
  int dns_timeout_ms = 2000;     // per DNS query of the checks (one try each)
  int threads = 8;               // blocking lookups run on a pool of their own
  std::string public_suffix_file = "/usr/share/publicsuffix/public_suffix_list.dat";
  std::string clamd;              // "unix:/path" or "host:port"; "" = no virus scan
  std::string rspamd;             // rspamd's normal worker URL; "" = no spam scan
  int daemon_timeout_ms = 10000;  // per daemon call, connecting included
  bool fail_open = true;          // a daemon down or slow: deliver without its verdict
  std::string virus_action = "reject";  // "reject" (550) or "junk"
  int dns_cache_entries = 10000;  // DNS answers the checks keep (by their TTL); 0 = none
  // Greylisting of the domains whose spam policy turns it on (delivery/greylist.h); rspamd's
  // own greylisting instead when rspamd is set.
  int greylist_delay_seconds = 300;  // a retry sooner than this is deferred again
  int greylist_window_hours = 48;    // how long after the delay a retry is awaited
  int greylist_allow_days = 36;      // how long a network that retried is let through
  bool arc_seal = true;  // seal mail from outside that local recipients forward (ARC)
  // rspamd's controller, learning from IMAP moves into and out of Junk; "" = no learning.
  std::string rspamd_controller;
  std::string rspamd_password_file;  // the controller password (first line)
  std::vector<DnsList> dnsbl;            // [[antispam.dnsbl]]: none by default
};

// Test-only switches; every one is off by default (docs/config.md).
struct Testing {
  std::string fault_file;  // store fault-injection control file (store/fault_file.h); "" = off
  std::string clock_file;  // seconds to add to both clocks (base/clock.h); "" = off
  bool allow_weak_password_hash = false;  // tests and bench only: argon2id below OWASP's minimum
};

// OWASP's minimum for argon2id: 19 MiB of memory with 2 passes, or 46 MiB with 1 pass.
constexpr int kMinHashMemoryKib2Passes = 19 * 1024;
constexpr int kMinHashMemoryKib1Pass = 46 * 1024;
bool password_hash_below_minimum(const Directory& d);

// Outbound delivery (docs/outbound.md).
struct Outbound {
  bool enabled = true;                   // run the queue runner in `serve`
  std::string resolver;                  // "ip:port" of the DNS server; "" = /etc/resolv.conf
  int mx_port = 25;                      // port used to reach MX hosts (tests use others)
  int poll_interval_seconds = 5;         // how often the runner looks for due messages
  int retry_initial_seconds = 300;       // first retry delay; doubles per attempt
  int retry_max_seconds = 14400;         // cap of the retry delay
  int max_age_seconds = 432000;          // then a deferred message expires and bounces (5 days)
  int concurrency = 50;                  // deliveries in flight in total
  int concurrency_per_domain = 5;        // deliveries in flight per recipient domain
  int max_messages_per_connection = 50;  // transactions per SMTP session (1: no reuse)
  int connection_idle_seconds = 10;      // a parked session is closed after this
  int delay_warning_seconds = 14400;     // "still trying" report after this; 0 = never
  std::string tls_ca_file;               // CA bundle for verified TLS; "" = system store
  int connect_timeout_seconds = 30;
  int command_timeout_seconds = 300;
  int max_received_headers = 100;                // more: a mail loop, bounced
  std::vector<std::string> require_tls_domains;  // recipient domains that need STARTTLS
  std::string smarthost;                         // "host:port" relay for all mail; "" = MX routing
  std::string smarthost_tls = "starttls";  // none | starttls (opportunistic) | required | implicit
  std::string smarthost_user;
  std::string smarthost_password;
  // Per sending domain relays: "sender.domain=host:port" (same TLS and AUTH settings).
  std::vector<std::string> smarthost_domains;
  std::string dkim_selector = "ph1";  // selector of the DKIM keys Posthouse generates
  bool dkim_sign = true;              // sign mail of local senders with their domain's key
};

struct Config {
  std::string path;  // the file it came from
  Server server;
  Listen listen;
  Tls tls;
  Limits limits;
  Http http;
  Directory directory;
  Smtp smtp;
  Pop3 pop3;
  Imap imap;
  Testing testing;
  Outbound outbound;
  Antispam antispam;

  std::string db_path() const { return server.data_dir + "/posthouse.db"; }
};

base::Result<Config> load(const std::string& path);
base::Result<Config> parse(std::string_view text, const std::string& path);

// The config file `posthouse init` writes: dev ports of DESIGN.md section 5, on 127.0.0.1.
std::string default_file_text(std::string_view hostname);

}  // namespace posthouse::config
