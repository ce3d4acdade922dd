#include "server/smtp/smtp_server.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>

#include "auth/login.h"
#include "base/ids.h"
#include "base/strings.h"
#include "protocol/smtp/command.h"
#include "protocol/smtp/reply.h"
#include "net/rate.h"
#include "protocol/text.h"

namespace posthouse::server::smtp {

namespace asio = boost::asio;
namespace codec = ::posthouse::smtp;
using base::Errc;
using base::Error;

namespace {

// Pending replies are written once this much is queued, even while pipelined commands remain.
constexpr std::size_t kFlushBytes = 64 * 1024;

std::string rfc5322_date() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S %z", &tm);
  return buf;
}

class Session {
 public:
  Session(SmtpServer& srv, const Options& o, delivery::Gateway& gw, net::BlockingPool& pool,
          auth::LoginThrottle& throttle, std::shared_ptr<net::Connection> conn)
      : srv_(srv), o_(o), gw_(gw), pool_(pool), throttle_(throttle), conn_(std::move(conn)),
        rate_(o.command_rate, o.command_burst) {}

  asio::awaitable<void> run();

 private:
  using Reply = codec::Reply;

  void reply(const Reply& r) { out_ += r.wire(ehlo_); }
  void reply(int code, std::string_view status, std::string_view text) {
    reply(codec::make_reply(code, status, text));
  }
  asio::awaitable<bool> flush();
  void reset_transaction();

  asio::awaitable<bool> on_ehlo(const codec::Command& c, bool ehlo);
  asio::awaitable<bool> on_starttls();
  asio::awaitable<bool> on_auth(const codec::Command& c);
  asio::awaitable<bool> on_mail(const codec::Command& c);
  asio::awaitable<bool> on_rcpt(const codec::Command& c);
  asio::awaitable<bool> on_data();
  asio::awaitable<bool> on_bdat(const codec::Command& c);
  asio::awaitable<bool> deliver();
  asio::awaitable<base::Result<std::string>> read_sasl_line();
  bool count_error();
  bool within_budget(codec::Verb verb);

  std::string received_header() const;

  SmtpServer& srv_;
  const Options& o_;
  delivery::Gateway& gw_;
  net::BlockingPool& pool_;
  auth::LoginThrottle& throttle_;
  std::shared_ptr<net::Connection> conn_;
  std::string out_;

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
  std::string bdat_body_;
  bool bdat_active_ = false;
  bool bdat_failed_ = false;
};

asio::awaitable<bool> Session::flush() {
  if (out_.empty()) co_return true;
  auto st = co_await conn_->write(out_);
  out_.clear();
  co_return st.ok();
}

void Session::reset_transaction() {
  in_mail_ = false;
  from_ = {};
  mail_params_ = {};
  rcpts_.clear();
  bdat_body_.clear();
  bdat_active_ = false;
  bdat_failed_ = false;
}

bool Session::count_error() {
  if (++errors_ < o_.max_errors) return true;
  reply(421, "4.7.0", "Too many errors, closing connection");
  return false;
}

// The command budget: a token bucket over all commands (BDAT chunks carry data and are bounded
// by the message size instead), and a cap on commands that carry no mail between two accepted
// messages (Postfix's smtpd_junk_command_limit, but closing). QUIT is always allowed.
bool Session::within_budget(codec::Verb verb) {
  using V = codec::Verb;
  if (verb == V::kQuit) return true;
  if (verb != V::kBdat && !rate_.take()) {
    spdlog::info("{} smtp command rate exceeded by {}", conn_->id(), conn_->peer_ip());
    reply(421, "4.7.0", "Too many commands too fast, closing connection");
    return false;
  }
  bool junk = verb == V::kNoop || verb == V::kRset || verb == V::kVrfy || verb == V::kHelp ||
              verb == V::kHelo || verb == V::kEhlo || verb == V::kStartTls || verb == V::kAuth;
  if (junk && o_.junk_command_limit > 0 && ++junk_ > o_.junk_command_limit) {
    spdlog::info("{} smtp junk command limit reached by {}", conn_->id(), conn_->peer_ip());
    reply(421, "4.7.0", "Too many commands without mail, closing connection");
    return false;
  }
  return true;
}

asio::awaitable<void> Session::run() {
  reply(220, "", fmt::format("{} ESMTP Posthouse", o_.hostname));
  if (!co_await flush()) co_return;
  codec::ParserOptions popts;
  popts.max_line = o_.max_line;
  while (!conn_->closed()) {
    if ((conn_->buffered() == 0 || out_.size() >= kFlushBytes) && !co_await flush()) co_return;
    if (conn_->shutting_down()) {
      reply(421, "4.3.2", "Service shutting down, try again later");
      break;
    }
    auto line = co_await conn_->read_line(o_.max_line);
    if (!line) {
      if (line.error().code == Errc::kTooLarge) {
        reply(500, "5.5.2", "Line too long");
        if (!count_error()) break;
        continue;
      }
      co_return;  // peer gone or timed out: nothing half-done is kept
    }
    std::string_view text = *line;
    if (text.size() >= 2 && text.substr(text.size() - 2) == "\r\n")
      text.remove_suffix(2);
    else if (!text.empty() && text.back() == '\n')
      text.remove_suffix(1);
    auto cmd = codec::parse_command(text, popts);
    if (!cmd) {
      if (!rate_.take()) {
        reply(421, "4.7.0", "Too many commands too fast, closing connection");
        break;
      }
      reply(codec::error_reply(cmd.error()));
      if (!count_error()) break;
      continue;
    }
    if (!within_budget(cmd->verb)) break;
    bool keep = true;
    switch (cmd->verb) {
      case codec::Verb::kHelo: keep = co_await on_ehlo(*cmd, false); break;
      case codec::Verb::kEhlo: keep = co_await on_ehlo(*cmd, true); break;
      case codec::Verb::kStartTls: keep = co_await on_starttls(); break;
      case codec::Verb::kAuth: keep = co_await on_auth(*cmd); break;
      case codec::Verb::kMail: keep = co_await on_mail(*cmd); break;
      case codec::Verb::kRcpt: keep = co_await on_rcpt(*cmd); break;
      case codec::Verb::kData: keep = co_await on_data(); break;
      case codec::Verb::kBdat: keep = co_await on_bdat(*cmd); break;
      case codec::Verb::kRset:
        reset_transaction();
        reply(250, "2.0.0", "Reset OK");
        break;
      case codec::Verb::kNoop: reply(250, "2.0.0", "OK"); break;
      case codec::Verb::kVrfy:
        reply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
        break;
      case codec::Verb::kHelp:
        reply(214, "2.0.0", "See RFC 5321; https://www.rfc-editor.org/rfc/rfc5321");
        break;
      case codec::Verb::kQuit:
        reply(221, "2.0.0", "Bye");
        keep = false;
        break;
    }
    if (!keep) break;
  }
  co_await flush();
  conn_->close();
}

asio::awaitable<bool> Session::on_ehlo(const codec::Command& c, bool ehlo) {
  reset_transaction();
  helo_ = c.arg;
  ehlo_ = ehlo;
  if (!ehlo) {
    reply(250, "", fmt::format("{} Hello {}", o_.hostname, c.arg));
    co_return true;
  }
  codec::EhloOptions eo;
  eo.hostname = o_.hostname;
  eo.greeting = fmt::format("Hello {} [{}]", c.arg, conn_->peer_ip());
  eo.size = o_.max_message_bytes;
  eo.starttls = !conn_->is_tls() && conn_->tls_available();
  bool can_auth = o_.mode != Mode::kMx && (conn_->is_tls() || o_.allow_plaintext_auth);
  if (can_auth && !auth_) eo.auth_mechanisms = {"PLAIN", "LOGIN"};
  reply(codec::ehlo_reply(eo));
  co_return true;
}

asio::awaitable<bool> Session::on_starttls() {
  if (conn_->is_tls()) {
    reply(503, "5.5.1", "TLS already active");
    co_return true;
  }
  if (!conn_->tls_available()) {
    reply(454, "4.7.0", "TLS not available");
    co_return true;
  }
  reply(220, "2.0.0", "Ready to start TLS");
  if (!co_await flush()) co_return false;
  auto r = co_await conn_->start_tls();
  if (!r) {
    spdlog::info("{} smtp STARTTLS from {} failed: {}", conn_->id(), conn_->peer_ip(),
                 r.error().message);
    co_return false;
  }
  if (*r) {
    spdlog::warn("{} smtp discarded plaintext pipelined after STARTTLS from {}", conn_->id(),
                 conn_->peer_ip());
  }
  // RFC 3207: forget everything learnt before TLS.
  reset_transaction();
  helo_.clear();
  ehlo_ = false;
  auth_.reset();
  co_return true;
}

asio::awaitable<base::Result<std::string>> Session::read_sasl_line() {
  if (!co_await flush()) co_return Error(Errc::kIo, "write failed");
  auto line = co_await conn_->read_line(o_.max_line);
  if (!line) co_return line.error();
  std::string s = std::move(*line);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  co_return s;
}

asio::awaitable<bool> Session::on_auth(const codec::Command& c) {
  if (o_.mode == Mode::kMx) {
    reply(503, "5.5.1", "AUTH not available on this port; use submission");
    co_return true;
  }
  if (!ehlo_) {
    reply(503, "5.5.1", "Send EHLO first");
    co_return true;
  }
  if (auth_) {
    reply(503, "5.5.1", "Already authenticated");
    co_return true;
  }
  if (in_mail_) {
    reply(503, "5.5.1", "AUTH not allowed during a mail transaction");
    co_return true;
  }
  if (!conn_->is_tls() && !o_.allow_plaintext_auth) {
    reply(538, "5.7.11", "Encryption required for requested authentication mechanism");
    co_return true;
  }
  std::string mech = base::to_lower(c.arg);
  std::string login, password;
  if (mech == "plain") {
    std::string resp;
    if (c.auth_initial) {
      resp = *c.auth_initial;
    } else {
      reply(334, "", "");
      auto l = co_await read_sasl_line();
      if (!l) co_return false;
      resp = *l;
    }
    if (resp == "*") {
      reply(501, "5.0.0", "Authentication cancelled");
      co_return true;
    }
    auto creds = protocol::decode_sasl_plain(resp);
    if (!creds) {
      reply(codec::error_reply(creds.error()));
      co_return count_error();
    }
    if (!creds->authzid.empty() && !base::iequals(creds->authzid, creds->authcid)) {
      reply(535, "5.7.8", "Authentication credentials invalid");
      co_return count_error();
    }
    login = creds->authcid;
    password = creds->password;
  } else if (mech == "login") {
    std::string user_b64;
    if (c.auth_initial) {
      user_b64 = *c.auth_initial;
    } else {
      reply(334, "", "VXNlcm5hbWU6");
      auto l = co_await read_sasl_line();
      if (!l) co_return false;
      user_b64 = *l;
    }
    if (user_b64 == "*") {
      reply(501, "5.0.0", "Authentication cancelled");
      co_return true;
    }
    reply(334, "", "UGFzc3dvcmQ6");
    auto p = co_await read_sasl_line();
    if (!p) co_return false;
    if (*p == "*") {
      reply(501, "5.0.0", "Authentication cancelled");
      co_return true;
    }
    auto u = protocol::decode_sasl_login_step(user_b64);
    auto pw = protocol::decode_sasl_login_step(*p);
    if (!u || !pw) {
      reply(501, "5.5.2", "Cannot decode SASL response");
      co_return count_error();
    }
    login = *u;
    password = *pw;
  } else {
    reply(504, "5.5.4", "Unrecognized authentication mechanism");
    co_return count_error();
  }

  std::string ip = conn_->peer_ip();
  auto user = co_await auth::throttled_login<delivery::AuthUser>(
      throttle_, conn_->executor(), ip, login,
      [&] { return pool_.run([&] { return gw_.authenticate(login, password, ip); }); });
  if (!user) {
    if (user.error().field == "locked") {
      reply(454, "4.7.0", "Too many failed attempts, try again later");
      co_return count_error();
    }
    if (user.error().code == Errc::kTemporary || user.error().code == Errc::kIo) {
      reply(454, "4.7.0", "Temporary authentication failure");
    } else {
      reply(535, "5.7.8", "Authentication credentials invalid");
    }
    spdlog::info("{} smtp auth failed from {}", conn_->id(), ip);
    co_return count_error();
  }
  if (!user->smtp_allowed) {
    reply(535, "5.7.8", "SMTP is not enabled for this account");
    co_return count_error();
  }
  auth_ = *user;
  reply(235, "2.7.0", "Authentication successful");
  co_return true;
}

asio::awaitable<bool> Session::on_mail(const codec::Command& c) {
  if (helo_.empty()) {
    reply(503, "5.5.1", "Send EHLO or HELO first");
    co_return count_error();
  }
  if (in_mail_) {
    reply(503, "5.5.1", "Nested MAIL command");
    co_return count_error();
  }
  if (o_.mode != Mode::kMx && !auth_) {
    reply(530, "5.7.0", "Authentication required");
    co_return count_error();
  }
  if (c.mail.size && *c.mail.size > o_.max_message_bytes) {
    reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
    co_return true;
  }
  if (c.path.mailbox.utf8 && !c.mail.smtputf8) {
    reply(553, "5.6.7", "UTF-8 address requires the SMTPUTF8 parameter");
    co_return true;
  }
  if (c.mail.body == codec::BodyType::kBinaryMime && !ehlo_) {
    reply(503, "5.5.1", "BINARYMIME requires EHLO");
    co_return true;
  }
  if (auth_) {
    if (c.path.null_path) {
      reply(553, "5.7.1", "Sender address rejected: not owned by you");
      co_return true;
    }
    std::string from = c.path.mailbox.to_string();
    auto ok = co_await pool_.run([&] { return gw_.check_sender(*auth_, from); });
    if (!ok) {
      if (ok.error().code == Errc::kTemporary) {
        reply(451, "4.3.0", "Temporary failure, try again later");
      } else {
        reply(553, "5.7.1", "Sender address rejected: not owned by you");
      }
      co_return true;
    }
  }
  in_mail_ = true;
  from_ = c.path;
  mail_params_ = c.mail;
  reply(250, "2.1.0", "Sender OK");
  co_return true;
}

asio::awaitable<bool> Session::on_rcpt(const codec::Command& c) {
  if (!in_mail_) {
    reply(503, "5.5.1", "Need MAIL before RCPT");
    co_return count_error();
  }
  auto bad = [&](int code, std::string_view st, std::string_view text) {
    reply(code, st, text);
    if (++bad_rcpts_ >= o_.max_bad_recipients) {
      reply(421, "4.7.0", "Too many invalid recipients, closing connection");
      return false;
    }
    return true;
  };
  if (static_cast<int>(rcpts_.size()) >= o_.max_recipients) {
    reply(452, "4.5.3", "Too many recipients");
    co_return true;
  }
  const auto& mb = c.path.mailbox;
  if (c.path.source_route || mb.percent_hack || mb.at_in_local || mb.domain_literal) {
    co_return bad(550, "5.7.1", "Relaying denied");
  }
  if (mb.utf8 && !mail_params_.smtputf8) {
    reply(553, "5.6.7", "UTF-8 address requires SMTPUTF8 on MAIL FROM");
    co_return true;
  }
  delivery::Sender sender;
  sender.address = from_.null_path ? "" : from_.mailbox.to_string();
  sender.auth = auth_;
  sender.client_ip = conn_->peer_ip();
  std::string rcpt = c.path.postmaster_only
                         ? fmt::format("postmaster@{}", o_.hostname)
                         : mb.to_string();
  uint64_t hint = mail_params_.size.value_or(0);
  auto st = co_await pool_.run([&] { return gw_.check_recipient(sender, rcpt, hint); });
  if (!st) {
    const Error& e = st.error();
    switch (e.code) {
      case Errc::kNotFound: co_return bad(550, "5.1.1", "No such user here");
      case Errc::kForbidden: co_return bad(550, "5.7.1", "Relaying denied");
      case Errc::kUnavailable: co_return bad(550, "5.2.1", "Mailbox disabled");
      case Errc::kLimit:
        if (e.field == "quota") {
          reply(452, "4.2.2", "Mailbox full, try again later");
        } else {
          reply(452, "4.5.3", "Too many recipients");
        }
        co_return true;
      case Errc::kTooLarge:
        reply(552, "5.3.4", "Message too large for this recipient");
        co_return true;
      default: reply(451, "4.3.0", "Temporary failure, try again later"); co_return true;
    }
  }
  rcpts_.push_back(delivery::Recipient{rcpt, c.rcpt.notify, c.rcpt.orcpt_address});
  reply(250, "2.1.5", "Recipient OK");
  co_return true;
}

std::string Session::received_header() const {
  std::string with = ehlo_ ? "ESMTP" : "SMTP";
  if (conn_->is_tls()) with += "S";
  if (auth_) with += "A";
  std::string out = fmt::format("Received: from {} ([{}])\r\n\tby {} (Posthouse) with {}",
                                helo_, conn_->peer_ip(), o_.hostname, with);
  if (conn_->is_tls()) out += fmt::format("\r\n\t(using {})", conn_->tls_info());
  out += fmt::format("\r\n\tid {}", conn_->id());
  if (rcpts_.size() == 1) out += fmt::format("\r\n\tfor <{}>", rcpts_[0].address);
  out += fmt::format(";\r\n\t{}\r\n", rfc5322_date());
  return out;
}

asio::awaitable<bool> Session::deliver() {
  delivery::Envelope env;
  env.sender.address = from_.null_path ? "" : from_.mailbox.to_string();
  env.sender.auth = auth_;
  env.sender.client_ip = conn_->peer_ip();
  env.recipients = rcpts_;
  env.smtputf8 = mail_params_.smtputf8;
  env.eight_bit = mail_params_.body == codec::BodyType::k8BitMime ||
                  mail_params_.body == codec::BodyType::kBinaryMime;
  env.envid = mail_params_.envid;
  env.ret_full = mail_params_.ret == codec::DsnRet::kFull;
  std::string message = received_header();
  message += bdat_body_;
  bdat_body_.clear();
  std::size_t size = message.size();
  auto r = co_await pool_.run([&] { return gw_.accept(env, std::move(message)); });
  if (!r) {
    spdlog::warn("{} smtp delivery failed: {}", conn_->id(), r.error().message);
    if (r.error().code == Errc::kLimit && r.error().field == "quota") {
      reply(452, "4.2.2", "Mailbox full, try again later");
    } else {
      reply(451, "4.3.0", "Local error in processing; message not accepted, try again later");
    }
  } else {
    spdlog::info("{} smtp accepted {} from <{}> for {} recipient(s), {} bytes", conn_->id(), *r,
                 env.sender.address, env.recipients.size(), size);
    reply(250, "2.0.0", fmt::format("OK queued as {}", *r));
    junk_ = 0;
  }
  reset_transaction();
  co_return true;
}

asio::awaitable<bool> Session::on_data() {
  if (!in_mail_) {
    reply(503, "5.5.1", "Need MAIL command");
    co_return count_error();
  }
  if (rcpts_.empty()) {
    reply(554, "5.5.1", "No valid recipients");
    co_return count_error();
  }
  if (bdat_active_) {
    reply(503, "5.5.1", "DATA not allowed after BDAT");
    co_return count_error();
  }
  if (mail_params_.body == codec::BodyType::kBinaryMime) {
    reply(503, "5.6.1", "BINARYMIME requires BDAT");
    co_return count_error();
  }
  reply(354, "", "Start mail input; end with <CRLF>.<CRLF>");
  if (!co_await flush()) co_return false;
  codec::DataOptions dopts;
  dopts.max_bytes = o_.max_message_bytes;
  dopts.bare_lf = o_.bare_lf;
  codec::DataDecoder dec(dopts);
  bdat_body_.clear();
  while (!dec.done()) {
    auto v = co_await conn_->peek_some();
    if (!v) co_return false;  // connection lost mid-DATA: nothing is delivered
    std::size_t used = dec.feed(*v, bdat_body_);
    conn_->consume(used);
  }
  auto st = dec.result();
  if (!st) {
    reply(codec::error_reply(st.error()));
    reset_transaction();
    co_return true;
  }
  co_return co_await deliver();
}

asio::awaitable<bool> Session::on_bdat(const codec::Command& c) {
  // The chunk is always read, even when refused, so the session stays in sync.
  bool refuse = false;
  Reply refusal;
  if (!in_mail_) {
    refuse = true;
    refusal = codec::make_reply(503, "5.5.1", "Need MAIL command");
  } else if (rcpts_.empty()) {
    refuse = true;
    refusal = codec::make_reply(554, "5.5.1", "No valid recipients");
  }
  uint64_t remaining = c.bdat_size;
  bool too_big = bdat_failed_ || bdat_body_.size() + remaining > o_.max_message_bytes;
  while (remaining > 0) {
    auto v = co_await conn_->peek_some();
    if (!v) co_return false;
    std::size_t take = static_cast<std::size_t>(std::min<uint64_t>(remaining, v->size()));
    if (!refuse && !too_big) bdat_body_.append(v->data(), take);
    conn_->consume(take);
    remaining -= take;
  }
  if (refuse) {
    reply(refusal);
    co_return count_error();
  }
  bdat_active_ = true;
  if (too_big) {
    bdat_failed_ = true;
    bdat_body_.clear();
    reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
    if (c.bdat_last) reset_transaction();
    co_return true;
  }
  if (!c.bdat_last) {
    reply(250, "2.0.0", fmt::format("{} octets received", c.bdat_size));
    co_return true;
  }
  co_return co_await deliver();
}

}  // namespace

SmtpServer::SmtpServer(Options opts, std::shared_ptr<delivery::Gateway> gateway,
                       net::BlockingPool& pool, std::shared_ptr<auth::LoginThrottle> throttle)
    : opts_(std::move(opts)), gateway_(std::move(gateway)), pool_(pool),
      throttle_(std::move(throttle)) {}

asio::awaitable<void> SmtpServer::session(std::shared_ptr<net::Connection> conn) {
  Session s(*this, opts_, *gateway_, pool_, *throttle_, std::move(conn));
  co_await s.run();
}

}  // namespace posthouse::server::smtp
