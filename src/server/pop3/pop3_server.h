// POP3 sessions (RFC 1939 + CAPA/RESP-CODES/AUTH-RESP-CODE RFC 2449, UIDL, TOP, SASL PLAIN
// RFC 5034, STLS RFC 2595) for the `pop3` and `pop3s` listeners, over the message store's INBOX.
//
// Contract:
// - One session at a time per mailbox (maildrop lock): a second gets -ERR [IN-USE].
// - DELE only marks; deletions are applied at QUIT in the UPDATE state. A dropped connection
//   deletes nothing.
// - UIDL is derived from the IMAP UID and UIDVALIDITY, so it is stable across sessions and
//   the same basis IMAP uses.
// - Clear-text authentication only over TLS unless `allow_plaintext_auth`.
// - Bounded: 255-octet command lines (RFC 2449), auth attempts (LoginThrottle), errors,
//   commands that fetch or delete nothing (junk_command_limit between two RETR/TOP/DELE) and
//   commands per second (token bucket); over either: -ERR and close, nothing deleted. Output
//   is flushed once 64 KiB are pending.
#pragma once

#include <boost/asio.hpp>
#include <memory>
#include <mutex>
#include <set>

#include "net/connection.h"
#include "server/mail_server.h"

namespace posthouse::server::pop3 {

struct Options : SessionOptions {
  int junk_command_limit = 100;  // commands naming no message between two RETR/TOP/DELE (0: off)
};

class Pop3Server : public MailServer<Options> {
 public:
  using MailServer::MailServer;
  boost::asio::awaitable<void> session(std::shared_ptr<net::Connection> conn);

  // Maildrop lock: false if another session holds this mailbox.
  bool lock(int64_t mailbox_id);
  void unlock(int64_t mailbox_id);

 private:
  std::mutex mu_;
  std::set<int64_t> locked_;
};

}  // namespace posthouse::server::pop3
