// The queue runner: claims due recipients from the QueueStore, routes them (smarthost or MX),
// sends them with the SMTP client, records each outcome and bounces permanent failures.
//
// Contract:
// - start() spawns the loop on the given executor; it runs until stop(). At start, recipients
//   a crash left in `sending` become due again (at-least-once: a message whose 250 arrived
//   but was not recorded before a crash is sent again; none is ever lost).
// - Outcomes: 2xx → delivered; 5xx, null MX, no such domain, mail loops, SMTPUTF8 missing,
//   too many Received headers → bounced; anything else → deferred with exponential backoff
//   (retry_initial · 2^attempts, at most retry_max), expired once older than max_age.
// - Bounced and expired recipients get one RFC 3464 report to the envelope sender through the
//   bounce sink, unless the sender is null (never a bounce to a bounce) or NOTIFY excludes
//   FAILURE. The sink runs before the outcome is recorded (a crash may repeat a bounce, never
//   lose one).
// - DSN (RFC 3461): a next hop that offers DSN gets RET, ENVID, NOTIFY and ORCPT as received,
//   and reports are its business from then on. Recipients with NOTIFY=SUCCESS handed to a next
//   hop without DSN get one "Action: relayed" report per attempt (never for a null sender).
// - Delay warnings: a recipient still deferred `delay_warning` seconds after the message
//   arrived gets one RFC 3464 "Action: delayed" report (per claim: the recipients of one
//   message at one domain share it), unless the sender is null or NOTIFY excludes DELAY. The
//   recipient's durable flag is set before the report is handed on: at most once, across
//   restarts too.
// - Concurrency: at most `concurrency` transactions in flight and `concurrency_per_domain`
//   per recipient domain; recipients over a limit are released unattempted.
// - Connection reuse: after a transaction the session is parked (at most `concurrency`
//   sessions, each for at most `connection_idle`), keyed by address, port, TLS mode, verified
//   name, server name and AUTH user. A later claim routed to that key sends RSET and its own
//   transaction on it (a session that fails RSET is dropped and a new one opened); after
//   `max_messages_per_connection` transactions it is closed. A session lost during a
//   transaction defers that transaction's recipients only.
// - TLS: require_tls_domains and smarthosts with "required"/"implicit" TLS verify the
//   certificate (CA store: `tls_ca_file` or the system's) and the MX / relay name;
//   opportunistic STARTTLS does not (RFC 7435).
// - The QueueStore and bounce sink are used on the blocking pool, DNS on the runner's own
//   threads; nothing blocks an I/O thread.
#pragma once

#include <boost/asio.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/blocking_pool.h"
#include "queue/queue_store.h"
#include "queue/resolver.h"
#include "queue/smtp_client.h"

namespace posthouse::queue {

struct Relay {
  std::string host;  // name or numeric address
  uint16_t port = 25;
  TlsMode tls = TlsMode::kOpportunistic;
  std::string user, password;
};

struct RunnerOptions {
  std::string hostname;
  ResolverOptions resolver;
  uint16_t mx_port = 25;
  std::chrono::seconds poll_interval{5};
  int64_t retry_initial = 300;
  int64_t retry_max = 14400;
  int64_t max_age = 432000;
  int concurrency = 50;
  int concurrency_per_domain = 5;
  int max_messages_per_connection = 50;   // 1: a session per transaction
  std::chrono::seconds connection_idle{10};
  int64_t delay_warning = 14400;          // seconds; 0: no delay warnings
  std::string tls_ca_file;                // "" = the system's CA store
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds command_timeout{300};
  int max_received_headers = 100;
  std::vector<std::string> require_tls_domains;
  std::optional<Relay> smarthost;               // every message
  std::map<std::string, Relay> sender_relays;   // by sender domain (wins over smarthost)
  std::vector<std::string> self_endpoints;      // our SMTP listeners "ip:port": MX loops
  // Signs a message for the given sender before it leaves (DKIM); may return it unchanged.
  std::function<std::string(const std::string& sender, const std::string& body)> sign;
};

// Hands a bounce (a complete message) to local delivery or the queue, from the null sender.
// Sends a report (bounce, delay warning) from the null sender to `to`. origin_domain_id is
// the queue entry's: a report that has to leave again is owned by the same local domain, so
// whoever could see the entry sees its report.
using BounceSink = std::function<base::Status(const std::string& to, std::string message,
                                              std::optional<int64_t> origin_domain_id)>;
// Runs f(QueueStore&) with exclusive use of a store; blocking.
using StoreAccess = std::function<base::Status(const std::function<base::Status(QueueStore&)>&)>;

class Runner : public std::enable_shared_from_this<Runner> {
 public:
  Runner(RunnerOptions o, StoreAccess store, BounceSink bounce, net::BlockingPool& pool);
  void start(boost::asio::any_io_executor ex);
  void stop();

  // Pure pieces, public for the unit tests.
  static int count_received(std::string_view message, int stop_after);
  int64_t next_attempt(int64_t now, int attempts_before) const;

 private:
  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<void> deliver(Claim c);
  boost::asio::awaitable<void> deliver_in_slot(Claim c);
  boost::asio::awaitable<AttemptResult> attempt(const Claim& c, const std::string& body);
  boost::asio::awaitable<base::Result<Route>> route_for(const Claim& c, TlsMode& tls,
                                                         const Relay*& relay);
  void finish(const Claim& c, const std::string& body, const AttemptResult& result);
  void report_relayed(const Claim& c, const std::string& body, const AttemptResult& result,
                      int64_t now);
  void warn_delay(const Claim& c, const std::string& body,
                  const std::vector<RecipientVerdict>& verdicts,
                  const std::vector<Outcome>& outcomes, int64_t now);

  // Parked sessions (single-threaded: the runner's executor).
  struct Parked {
    uint64_t id = 0;
    std::unique_ptr<Connection> conn;
    int sent = 0;  // transactions so far
    std::unique_ptr<boost::asio::steady_timer> idle;
  };
  std::optional<Parked> take(const std::string& key);
  void park(const std::string& key, std::unique_ptr<Connection> conn, int sent);
  boost::asio::awaitable<void> done_with(const std::string& key, std::unique_ptr<Connection> conn,
                                         int sent);

  RunnerOptions opts_;
  StoreAccess store_;
  BounceSink bounce_;
  net::BlockingPool& pool_;
  net::BlockingPool dns_pool_{2};
  Resolver resolver_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::map<std::string, int> per_domain_;
  std::multimap<std::string, Parked> parked_;
  uint64_t next_parked_id_ = 0;
  int active_ = 0;
  bool stopped_ = false;
  bool wake_ = false;  // a delivery ended with a parked session: claim again before sleeping
};

}  // namespace posthouse::queue
