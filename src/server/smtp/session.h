// One SMTP connection (internal to src/server/smtp): its state and the handler of each command.
//
// Contract: lives on the connection's executor; not thread-safe. Replies are appended to out_
// and written by flush() (the run loop writes them once nothing more is pipelined, or once
// kFlushBytes are pending). Each on_<verb>() returns false when the session must end. Gateway
// calls (login, sender and recipient checks, accept) run on the BlockingPool. Files by concern:
// session.cc (the loop, the command budget, HELO/EHLO, STARTTLS, MAIL, RCPT), auth.cc (AUTH),
// data.cc (DATA, BDAT, the Received header and the hand-off to the gateway), checks.cc (the
// sender checks and the Authentication-Results field), lists.cc (the DNS lists: the client's
// address asked at connect, the HELO and MAIL FROM domains at the first RCPT).
#pragma once

#include <boost/asio.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/throttle.h"
#include "delivery/gateway.h"
#include "net/blocking_pool.h"
#include "net/connection.h"
#include "net/rate.h"
#include "protocol/smtp/command.h"
#include "protocol/smtp/reply.h"
#include "server/smtp/message_spool.h"
#include "server/smtp/pending.h"
#include "server/smtp/smtp_server.h"

namespace posthouse::server::smtp {

namespace asio = boost::asio;
namespace codec = ::posthouse::smtp;

class Session {
 public:
  Session(SmtpServer& srv, const Options& o, delivery::Gateway& gw, net::BlockingPool& pool,
          auth::LoginThrottle& throttle, std::shared_ptr<net::Connection> conn)
      : srv_(srv),
        o_(o),
        gw_(gw),
        pool_(pool),
        throttle_(throttle),
        conn_(std::move(conn)),
        rate_(o.command_rate, o.command_burst),
        msg_(o.spool_dir, o.inflight.get()) {}

  asio::awaitable<void> run();

  // The client's forward-confirmed reverse DNS name, "" when unknown or not looked up yet
  // (known from the first Received header on; for spam scoring).
  const std::string& client_name() const { return client_name_; }

 private:
  using Reply = codec::Reply;

  void reply(const Reply& r) { out_ += r.wire(ehlo_); }
  void reply(int code, std::string_view status, std::string_view text) {
    reply(codec::make_reply(code, status, text));
  }
  asio::awaitable<bool> flush();
  void reset_transaction();
  bool count_error();
  bool within_budget(codec::Verb verb);
  asio::awaitable<bool> dispatch(const codec::Command& c);

  asio::awaitable<bool> on_ehlo(const codec::Command& c, bool ehlo);
  asio::awaitable<bool> on_starttls();
  asio::awaitable<bool> on_mail(const codec::Command& c);
  asio::awaitable<bool> on_rcpt(const codec::Command& c);

  // auth.cc
  struct Credentials {
    std::string login, password;  // the password is a secret: never logged
  };
  // The credentials an AUTH exchange carried or, when it ended without them (cancelled,
  // undecodable, peer gone), whether the session goes on.
  using SaslOutcome = std::variant<Credentials, bool>;
  asio::awaitable<bool> on_auth(const codec::Command& c);
  bool refuse_auth();
  asio::awaitable<base::Result<std::string>> read_sasl_line();
  // The first response: AUTH's initial response, else the line read after "334 challenge";
  // nothing when the peer is gone.
  asio::awaitable<std::optional<std::string>> first_response(const codec::Command& c,
                                                             std::string_view challenge);
  // A response of "*" (RFC 4954 4): replies 501 and returns true.
  bool cancelled(std::string_view response);
  asio::awaitable<SaslOutcome> read_plain(const codec::Command& c);
  asio::awaitable<SaslOutcome> read_login(const codec::Command& c);
  asio::awaitable<bool> login(const Credentials& creds);

  // data.cc
  asio::awaitable<bool> on_data();
  asio::awaitable<bool> on_bdat(const codec::Command& c);
  asio::awaitable<bool> deliver();
  std::string received_header() const;
  // checks.cc: removes forged Authentication-Results fields and, on the MX for a client that
  // did not authenticate, checks the sender (env.verdict); returns the Authentication-Results
  // field to add ("" when nothing was checked).
  asio::awaitable<base::Result<std::string>> check_message(delivery::Envelope& env);
  // lists.cc: asks the IP lists about the client (at connect, on the checks' pool).
  void start_client_lists();
  // The DNS lists' findings about this transaction (the client, the HELO name, the MAIL FROM
  // domain), asked at its first RCPT and logged once; null when no list applies (an
  // authenticated client, not the MX, no lists).
  asio::awaitable<const antispam::ListFindings*> list_findings();
  // A block-list listing's refusal for recipient `rcpt`, unless it is a postmaster (RFC 5321
  // 4.5.1); nullopt: no refusal.
  asio::awaitable<std::optional<std::string>> list_refusal(const codec::Path& rcpt);
  // The client's name for the Received header: the lookup started at connect, awaited once.
  asio::awaitable<void> learn_client_name();
  // MX: the client talked before the greeting; answers 554 (the caller closes).
  void refuse_early_talker();
  // Starts receiving a message, or answers why not (452 4.3.1: the in-flight budget is spent).
  std::optional<Reply> start_message();
  // Moves a full window to the spool file (on the pool); a failure is kept in spool_error_.
  asio::awaitable<void> spill();

  SmtpServer& srv_;
  const Options& o_;
  delivery::Gateway& gw_;
  net::BlockingPool& pool_;
  auth::LoginThrottle& throttle_;
  std::shared_ptr<net::Connection> conn_;
  std::string out_;

  std::shared_ptr<ClientNames::Lookup> name_lookup_;
  std::string client_name_;  // FCrDNS; "" unknown
  bool client_name_known_ = false;
  std::shared_ptr<Pending<antispam::ListFindings>> client_lists_;  // null: not asked or read
  std::optional<antispam::ListFindings> client_findings_;          // client_lists_'s answer
  std::string helo_;
  bool ehlo_ = false;
  std::optional<delivery::AuthUser> auth_;
  int errors_ = 0;
  int bad_rcpts_ = 0;
  net::TokenBucket rate_;
  int junk_ = 0;  // commands that carried no mail since the last accepted message

  // Transaction.
  bool in_mail_ = false;
  codec::Path from_;
  codec::MailParams mail_params_;
  std::vector<delivery::Recipient> rcpts_;
  std::optional<antispam::ListFindings> lists_;  // asked at the first RCPT
  MessageSpool msg_;
  std::optional<base::Error> spool_error_;  // the spool could not be written: answer 451
  bool bdat_active_ = false;
  std::optional<Reply> bdat_refusal_;  // every further chunk of this message gets it
};

}  // namespace posthouse::server::smtp
