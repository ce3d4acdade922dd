// IMAP sessions (IMAP4rev1 RFC 3501, IMAP4rev2 RFC 9051 via ENABLE, and the extensions listed in
// docs/imap.md) for the `imap` (STARTTLS) and `imaps` (implicit TLS) listeners, over the
// message store.
//
// Contract:
// - One Session per connection, run on the connection's executor; every store and auth call is
//   awaited on the BlockingPool, never on an I/O thread.
// - Several sessions may select the same folder: each keeps its own sequence map and learns of
//   other sessions' and deliveries' changes (EXISTS, EXPUNGE/VANISHED, FETCH FLAGS) after each
//   command and while IDLE (MailStore::watch), never expunges during FETCH/STORE/SEARCH.
// - LOGIN/AUTHENTICATE only over TLS unless `allow_plaintext_auth`; failures go through the
//   shared LoginThrottle.
// - Bounded: command line ([limits] max_line_bytes), literal (append_limit, APPENDLIMIT),
//   nesting depth and argument count (codec ParseLimits), BAD replies per session
//   (max_errors), IDLE sessions (max_idle_connections), output written in slices and awaited
//   so a client that does not read cannot grow the server's memory.
// Thread-safe: the server object is shared by every session.
#pragma once

#include <boost/asio.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "auth/throttle.h"
#include "delivery/local_gateway.h"
#include "net/blocking_pool.h"
#include "net/connection.h"
#include "store/mail_store.h"

namespace posthouse::server::imap {

struct Options {
  std::string hostname = "localhost";
  bool allow_plaintext_auth = false;
  int max_idle_connections = 1000;
  uint64_t append_limit = 50ull << 20;
  size_t max_line_bytes = 65536;
  int max_errors = 20;
  // RFC 7888: LITERAL+ (non-synchronizing literals of any accepted size) or, when false,
  // LITERAL- (non-synchronizing literals of at most 4096 octets). Never both.
  bool literal_plus = true;
  int command_rate = 500;  // per second and connection; 0: unlimited
  int command_burst = 1000;
  std::chrono::seconds idle_timeout{300};  // restored after IDLE
};

class ImapServer {
 public:
  ImapServer(Options opts, delivery::LocalGateway& gateway, store::MailStore& mail,
             net::BlockingPool& pool, std::shared_ptr<auth::LoginThrottle> throttle);
  boost::asio::awaitable<void> session(std::shared_ptr<net::Connection> conn);

  // IDLE admission: false when max_idle_connections sessions are idling already.
  bool enter_idle();
  void leave_idle();

  const Options& options() const { return opts_; }
  delivery::LocalGateway& gateway() { return gateway_; }
  store::MailStore& mail() { return mail_; }
  net::BlockingPool& pool() { return pool_; }
  auth::LoginThrottle& throttle() { return *throttle_; }

  // \Recent (IMAP4rev1, RFC 3501 2.3.2): each folder remembers the highest UID some session
  // has already been told is recent. claim_recent() moves that mark up to `upto` and returns
  // (old mark, new mark): the UIDs in between are recent for the caller alone. The marks live
  // in memory: after a restart, the first session to select a folder sees all of it as recent.
  std::pair<store::Uid, store::Uid> claim_recent(store::FolderId folder, store::Uid upto);
  store::Uid recent_mark(store::FolderId folder);

 private:
  Options opts_;
  delivery::LocalGateway& gateway_;
  store::MailStore& mail_;
  net::BlockingPool& pool_;
  std::shared_ptr<auth::LoginThrottle> throttle_;
  std::atomic<int> idling_{0};
  std::mutex recent_mu_;
  std::unordered_map<store::FolderId, store::Uid> recent_marks_;
};

}  // namespace posthouse::server::imap
