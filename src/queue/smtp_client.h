// The outbound SMTP client (RFC 5321): one transaction (one sender, several recipients of one
// domain) to one server address, on Boost.Asio coroutines.
//
// Contract:
// - Never throws; every failure becomes a verdict per recipient. `try_next` says the failure
//   came before the server took responsibility for any recipient (connect, greeting, EHLO,
//   TLS), so the caller may try the next MX address.
// - Bounded against hostile peers: a reply line is at most max_reply_line bytes, a reply at
//   most max_reply_lines lines; every read and write has a deadline (the socket is closed
//   when it passes). A breach is a temporary failure, the connection is dropped.
// - Negotiates: EHLO (HELO when EHLO is refused), STARTTLS (opportunistic unless tls says
//   required; certificates are not verified: encryption against passive listeners, as
//   Postfix's "encrypt" level), PIPELINING, SIZE, 8BITMIME, SMTPUTF8, AUTH PLAIN/LOGIN.
//   A message that needs SMTPUTF8 (or 8BITMIME) from a peer without it is a permanent failure.
// - Loop detection: a peer greeting with our own hostname is a permanent 5.4.6 failure.
// - Secrets: the AUTH password is never logged nor put in a verdict.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace posthouse::queue {

enum class TlsMode { kNone, kOpportunistic, kRequired, kImplicit };

struct ClientOptions {
  std::string helo_name;  // our hostname
  TlsMode tls = TlsMode::kOpportunistic;
  std::string sni;  // server name for TLS (the MX host name)
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
};

boost::asio::awaitable<AttemptResult> send_transaction(
    const boost::asio::ip::tcp::endpoint& peer, const ClientOptions& opts, const Transaction& tx,
    std::shared_ptr<boost::asio::ssl::context> tls);

// Dot-stuffs a message for DATA and appends the terminating "." line (RFC 5321 4.5.2).
std::string dot_stuff(std::string_view body);

// A TLS client context for STARTTLS / implicit TLS (TLS 1.2+, no certificate verification).
std::shared_ptr<boost::asio::ssl::context> make_client_tls();

}  // namespace posthouse::queue
