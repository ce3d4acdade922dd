// The outbound SMTP client (RFC 5321): a Connection to one server address carries one or more
// transactions (one sender, several recipients of one domain each), on Boost.Asio coroutines.
//
// Contract:
// - Never throws; every failure becomes a verdict per recipient. `try_next` says the failure
//   came before the server took responsibility for any recipient (connect, greeting, EHLO,
//   TLS), so the caller may try the next MX address.
// - Reuse: after a transaction whose end of DATA got a reply, reusable() is true and the
//   caller may reset() (RSET) and run another transaction on the same session. A failure
//   during a later transaction only concerns that transaction's recipients.
// - Bounded against hostile peers: a reply line is at most max_reply_line bytes, a reply at
//   most max_reply_lines lines; every read and write has a deadline (the socket is closed
//   when it passes). A breach is a temporary failure, the connection is dropped.
// - Negotiates: EHLO (HELO when EHLO is refused), STARTTLS (opportunistic unless tls says
//   required), PIPELINING, SIZE, 8BITMIME, SMTPUTF8, AUTH PLAIN/LOGIN.
// - Certificates: verified only when `verify_name` is set (required-TLS routes): the chain
//   against the context's CA store and the name (DNS name, or IP address for a numeric relay)
//   with SSL_set1_host. A failure is a temporary 4.7.5 verdict naming OpenSSL's reason.
//   Opportunistic TLS is not verified (RFC 7435: an unverified channel beats plain text).
//   A message that needs SMTPUTF8 (or 8BITMIME) from a peer without it is a permanent failure.
// - Loop detection: a peer greeting with our own hostname is a permanent 5.4.6 failure.
// - Secrets: the AUTH password is never logged nor put in a verdict.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace posthouse::queue {

enum class TlsMode { kNone, kOpportunistic, kRequired, kImplicit };

struct ClientOptions {
  std::string helo_name;  // our hostname
  TlsMode tls = TlsMode::kOpportunistic;
  std::string sni;  // server name for TLS (the MX host name)
  // When not empty, the certificate must chain to a trusted CA and match this name.
  std::string verify_name;
  std::string auth_user;
  std::string auth_password;
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds command_timeout{300};
  std::size_t max_reply_line = 4096;
  std::size_t max_reply_lines = 100;
};

struct Transaction {
  std::string sender;  // "" = null sender
  std::vector<std::string> recipients;
  std::string_view body;  // CRLF lines, not dot-stuffed
  bool smtputf8 = false;
  bool eight_bit = false;
  // DSN (RFC 3461) as the message was received, passed on only to a server that offers DSN:
  // RET and ENVID on MAIL, NOTIFY and ORCPT ("type;address", decoded) on each RCPT.
  std::string envid;
  bool ret_full = false;
  bool ret_hdrs = false;
  std::vector<uint8_t> notify;     // per recipient (NotifyFlags); empty or 0: no NOTIFY
  std::vector<std::string> orcpt;  // per recipient; empty or "": no ORCPT
};

enum class Verdict { kDelivered, kTemporary, kPermanent };

struct RecipientVerdict {
  Verdict verdict = Verdict::kTemporary;
  std::string status;  // enhanced status, e.g. "5.1.1" (ours when the peer gave none)
  std::string detail;  // "host[ip] said: 550 5.1.1 ..." or our own diagnostic
};

struct AttemptResult {
  bool try_next = false;
  std::vector<RecipientVerdict> recipients;  // same order as Transaction::recipients
  // The server offered DSN, so the DSN parameters went with the message and reports about
  // it are its business from now on (no "relayed" report of ours).
  bool peer_dsn = false;
};

// An open SMTP session to one server address. Not thread-safe: one coroutine at a time.
class Connection {
 public:
  Connection(boost::asio::any_io_executor ex, ClientOptions opts,
             std::shared_ptr<boost::asio::ssl::context> tls);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connect, greeting, EHLO/HELO, STARTTLS, AUTH. On failure, the verdict for every recipient
  // of the transaction that wanted this connection (and whether another address may work).
  struct Failure {
    RecipientVerdict verdict;
    bool try_next = false;
  };
  boost::asio::awaitable<std::optional<Failure>> open(const boost::asio::ip::tcp::endpoint& peer);
  // One transaction (MAIL, RCPT…, DATA) on an open session.
  boost::asio::awaitable<AttemptResult> send(const Transaction& tx);
  // RSET before another transaction; false if the session is no longer usable.
  boost::asio::awaitable<bool> reset();
  // QUIT (best effort) and close.
  boost::asio::awaitable<void> quit();
  void close();

  bool reusable() const { return reusable_; }
  bool is_tls() const;

 private:
  class Session;
  ClientOptions opts_;  // before s_: the session refers to it
  std::unique_ptr<Session> s_;
  std::string who_;
  bool reusable_ = false;
};

// Open, one transaction, QUIT.
boost::asio::awaitable<AttemptResult> send_transaction(
    const boost::asio::ip::tcp::endpoint& peer, const ClientOptions& opts, const Transaction& tx,
    std::shared_ptr<boost::asio::ssl::context> tls);

// Dot-stuffs a message for DATA and appends the terminating "." line (RFC 5321 4.5.2).
std::string dot_stuff(std::string_view body);

// A TLS client context for STARTTLS / implicit TLS (TLS 1.2+). Its CA store is `ca_file`
// (PEM), or the system's default store when empty; verification itself is switched on per
// connection (ClientOptions::verify_name). Throws on an unreadable CA file (startup only).
std::shared_ptr<boost::asio::ssl::context> make_client_tls(const std::string& ca_file = "");

}  // namespace posthouse::queue
