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
// - Concurrency: at most `concurrency` transactions in flight and `concurrency_per_domain`
//   per recipient domain; recipients over a limit are released unattempted.
// - The QueueStore and bounce sink are used on the blocking pool, DNS on the runner's own
//   threads; nothing blocks an I/O thread.
#pragma once

#include <boost/asio.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
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
using BounceSink = std::function<base::Status(const std::string& to, std::string message)>;
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
  boost::asio::awaitable<std::vector<RecipientVerdict>> attempt(const Claim& c,
                                                                const std::string& body);
  boost::asio::awaitable<base::Result<Route>> route_for(const Claim& c, TlsMode& tls,
                                                         const Relay*& relay);
  void finish(const Claim& c, const std::string& body, const std::vector<RecipientVerdict>& v);

  RunnerOptions opts_;
  StoreAccess store_;
  BounceSink bounce_;
  net::BlockingPool& pool_;
  net::BlockingPool dns_pool_{2};
  Resolver resolver_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::map<std::string, int> per_domain_;
  int active_ = 0;
  bool stopped_ = false;
};

}  // namespace posthouse::queue
