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

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "antispam/spam_learner.h"
#include "net/connection.h"
#include "server/mail_server.h"
#include "store/mail_store.h"

namespace posthouse::server::imap {

// max_errors counts BAD replies, and separately command-rate refusals.
struct Options : SessionOptions {
  int max_idle_connections = 1000;
  uint64_t append_limit = 50ull << 20;
  size_t max_line_bytes = 65536;
  // RFC 7888: LITERAL+ (non-synchronizing literals of any accepted size) or, when false,
  // LITERAL- (non-synchronizing literals of at most 4096 octets). Never both.
  bool literal_plus = true;
  std::chrono::seconds idle_timeout{300};  // restored after IDLE
  // COPY/MOVE into or out of Junk trains rspamd (antispam/spam_learner.h); null: off.
  std::shared_ptr<antispam::SpamLearner> learner;
};

class ImapServer : public MailServer<Options> {
 public:
  using MailServer::MailServer;
  boost::asio::awaitable<void> session(std::shared_ptr<net::Connection> conn);

  // IDLE admission: false when max_idle_connections sessions are idling already.
  bool enter_idle();
  void leave_idle();

  // \Recent (IMAP4rev1, RFC 3501 2.3.2): each folder remembers the highest UID some session
  // has already been told is recent. claim_recent() moves that mark up to `upto` and returns
  // (old mark, new mark): the UIDs in between are recent for the caller alone. The marks live
  // in memory: after a restart, the first session to select a folder sees all of it as recent.
  std::pair<store::Uid, store::Uid> claim_recent(store::FolderId folder, store::Uid upto);
  store::Uid recent_mark(store::FolderId folder);

 private:
  std::atomic<int> idling_{0};
  std::mutex recent_mu_;
  std::unordered_map<store::FolderId, store::Uid> recent_marks_;
};

}  // namespace posthouse::server::imap
