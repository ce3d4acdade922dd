// SMTP sessions for the `smtp` (MX), `submission` (STARTTLS + AUTH) and `submissions`
// (implicit TLS) listeners: glue from the protocol/smtp codec to delivery::Gateway over
// net::Connection.
//
// Contract:
// - 250 after DATA/BDAT LAST only once Gateway::accept() reported the message durable.
// - Never an open relay: on the MX, recipients must be local (the gateway decides, per the
//   directory); source routes, the %-hack and quoted local parts with '@' are refused with
//   550 5.7.1 before the gateway is asked. Submission requires AUTH before MAIL, and AUTH
//   requires TLS unless `allow_plaintext_auth`.
// - Commands pipelined after STARTTLS are discarded (Connection::start_tls).
// - Bounded: line length, message size, recipients per message, bad recipients and errors per
//   session (then 421 and close), auth attempts (LoginThrottle), commands that carry no mail
//   (NOOP, RSET, VRFY, HELP, HELO/EHLO, STARTTLS, AUTH: junk_command_limit between two accepted
//   messages) and commands per second (token bucket); over either: 421 4.7.0 and close.
//   Replies are flushed once 64 KiB are pending, so pipelining cannot grow them unbounded.
// - Memory: a message being received costs its session one window (MessageSpool::kWindowBytes)
//   plus the connection's read buffer; the rest is in a nameless spool file. The bytes being
//   received across all sessions are bounded by `inflight` at admission: when it is exhausted,
//   DATA (and the first BDAT) get 452 4.3.1 and the session stays usable.
// - Early talkers: on the MX, a client that sends before the greeting (within pregreet_delay)
//   gets 554 5.5.1 and the connection is closed, counted in ListenerStats::pregreet.
// - Content scans: a clamd or rspamd call that fails is counted in ListenerStats::scan_failed
//   and logged; the message is delivered without that verdict (fail_open) or answered 451 4.7.1.
// - The client's FCrDNS name is looked up once per connection at connect, off the I/O
//   threads, and awaited (bounded) only when the first Received header needs it.
// - DNS lists (MX, clients that did not authenticate, SenderChecks::lists()): the client's
//   address is asked at connect on the checks' pool without delaying the greeting, the HELO
//   and MAIL FROM domains at the first RCPT. A block listing refuses every RCPT with 550 5.7.1
//   naming what is listed and by which zone, except postmaster (RFC 5321 4.5.1); an allow
//   listing of the client outweighs block listings, sets SenderVerdict::dnswl and adds
//   dnswl=pass (RFC 8904) to Authentication-Results; a list's temperror never refuses: it is
//   logged and counted (SenderChecks::list_temperrors(), on /metrics).
#pragma once

#include <boost/asio.hpp>
#include <memory>
#include <string>

#include "antispam/content_scan.h"
#include "antispam/sender_checks.h"
#include "auth/throttle.h"
#include "delivery/gateway.h"
#include "net/blocking_pool.h"
#include "net/connection.h"
#include "net/inflight.h"
#include "protocol/smtp/data_decoder.h"
#include "server/session_common.h"
#include "server/smtp/client_name.h"

namespace posthouse::server::smtp {

enum class Mode { kMx, kSubmission, kSubmissions };

// command_rate paces every command but BDAT (its chunks are bounded by max_message_bytes) and
// QUIT (never held back).
struct Options : SessionOptions {
  Mode mode = Mode::kMx;
  uint64_t max_message_bytes = 50ull << 20;
  int max_recipients = 100;
  int max_bad_recipients = 20;
  int junk_command_limit = 100;  // commands that carry no mail, per accepted message (0: off)
  ::posthouse::smtp::BareLf bare_lf = ::posthouse::smtp::BareLf::kNormalize;
  std::size_t max_line = 4096;
  // Where messages being received are spooled (store/spool.h); `serve` uses <data_dir>/spool.
  std::string spool_dir = "spool";
  // Bytes being received across every SMTP listener ([limits] max_inflight_bytes); past it a
  // new DATA/BDAT gets 452 4.3.1. Null: no budget.
  std::shared_ptr<net::InflightBudget> inflight;
  // MX only: how long the server listens before its greeting; a client that talks first gets
  // 554 5.5.1 and is disconnected (early talker, Postfix's pregreet test). 0: greet at once.
  std::chrono::milliseconds pregreet_delay{0};
  // The client's verified reverse DNS name, looked up at connect ([smtp] rdns_timeout_ms).
  // Null: no lookups ("unknown" in the Received header).
  std::shared_ptr<ClientNames> client_names;
  // The Authentication-Results id: fields claiming it are removed from every message received
  // (RFC 8601 5). "" removes nothing.
  std::string authserv_id;
  // MX only: SPF, DKIM and DMARC on mail from unauthenticated clients, recorded in an
  // Authentication-Results field and handed to the gateway, and the DNS lists; nullptr: not
  // checked.
  std::shared_ptr<antispam::SenderChecks> sender_checks;
  // MX only: clamd and rspamd on the same messages, after the sender checks and on their pool
  // (or the store's pool when the checks are off); their verdict goes to the gateway with the
  // checks', X-Spam-Status/X-Spam-Action below Authentication-Results. nullptr: no scans.
  std::shared_ptr<const antispam::ContentScanners> scanners;
};

class SmtpServer {
 public:
  SmtpServer(Options opts, std::shared_ptr<delivery::Gateway> gateway, net::BlockingPool& pool,
             std::shared_ptr<auth::LoginThrottle> throttle);
  boost::asio::awaitable<void> session(std::shared_ptr<net::Connection> conn);
  const Options& options() const { return opts_; }

 private:
  Options opts_;
  std::shared_ptr<delivery::Gateway> gateway_;
  net::BlockingPool& pool_;
  std::shared_ptr<auth::LoginThrottle> throttle_;
};

}  // namespace posthouse::server::smtp
