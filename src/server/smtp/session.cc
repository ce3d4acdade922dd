// The SMTP session loop and the commands that set up a transaction: the command budget,
// HELO/EHLO, STARTTLS, MAIL and RCPT (RFC 5321, 3207, 1870, 6531).
#include "server/smtp/session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/close.h"

namespace posthouse::server::smtp {

using base::Errc;
using base::Error;

asio::awaitable<bool> Session::flush() { co_return co_await write_pending(*conn_, out_); }

void Session::reset_transaction() {
  in_mail_ = false;
  from_ = {};
  mail_params_ = {};
  rcpts_.clear();
  lists_.reset();
  msg_.clear();
  spool_error_.reset();
  bdat_active_ = false;
  bdat_refusal_.reset();
}

bool Session::count_error() {
  if (++errors_ < o_.max_errors) return true;
  reply(421, "4.7.0", "Too many errors, closing connection");
  return false;
}

// The junk budget: a cap on commands that carry no mail between two accepted messages
// (Postfix's smtpd_junk_command_limit, but closing). QUIT is always allowed. (The command rate
// is backpressure, in run().)
bool Session::within_budget(codec::Verb verb) {
  using V = codec::Verb;
  if (verb == V::kQuit) return true;
  bool junk = verb == V::kNoop || verb == V::kRset || verb == V::kVrfy || verb == V::kHelp ||
              verb == V::kHelo || verb == V::kEhlo || verb == V::kStartTls || verb == V::kAuth;
  if (junk && o_.junk_command_limit > 0 && ++junk_ > o_.junk_command_limit) {
    spdlog::info("{} smtp junk command limit reached by {}", conn_->id(), conn_->peer_ip());
    reply(421, "4.7.0", "Too many commands without mail, closing connection");
    return false;
  }
  return true;
}

// Postfix's postscreen pregreet test, in the session: a real SMTP client waits for the 220
// (RFC 5321 3.1); spamware often talks at once to save a round trip.
void Session::refuse_early_talker() {
  conn_->count_pregreet();
  spdlog::info("{} smtp early talker {}: data before the greeting, refused", conn_->id(),
               conn_->peer_ip());
  // With its enhanced status code, though no EHLO said the client understands them: the
  // code is what an operator greps for.
  out_ += codec::make_reply(554, "5.5.1", "Protocol error: data before greeting").wire(true);
}

asio::awaitable<void> Session::run() {
  // At connect, so the answer is usually in before the first Received header needs it.
  if (o_.client_names) name_lookup_ = o_.client_names->start(conn_->executor(), conn_->peer_ip());
  start_client_lists();
  if (o_.mode == Mode::kMx && o_.pregreet_delay.count() > 0) {
    std::chrono::steady_clock::duration wait = o_.pregreet_delay;
    bool early = co_await conn_->sends_within(wait);
    if (early) {
      refuse_early_talker();
      co_await flush();
      co_await net::close_gracefully(conn_);  // drains what it sent: the 554 is not reset away
      co_return;
    }
  }
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
    // The command rate slows the client (backpressure); BDAT chunks carry data and are bounded
    // by the message size instead, and QUIT is never held back.
    bool paced = !cmd || (cmd->verb != codec::Verb::kBdat && cmd->verb != codec::Verb::kQuit);
    if (paced && !co_await pace(*conn_, rate_, out_)) co_return;
    if (!cmd) {
      reply(codec::error_reply(cmd.error()));
      if (!count_error()) break;
      continue;
    }
    if (!within_budget(cmd->verb)) break;
    if (!co_await dispatch(*cmd)) break;
  }
  co_await flush();
  co_await net::close_gracefully(conn_);  // the last reply, then close_notify; never a reset
}

asio::awaitable<bool> Session::dispatch(const codec::Command& c) {
  switch (c.verb) {
    case codec::Verb::kHelo:
      co_return co_await on_ehlo(c, false);
    case codec::Verb::kEhlo:
      co_return co_await on_ehlo(c, true);
    case codec::Verb::kStartTls:
      co_return co_await on_starttls();
    case codec::Verb::kAuth:
      co_return co_await on_auth(c);
    case codec::Verb::kMail:
      co_return co_await on_mail(c);
    case codec::Verb::kRcpt:
      co_return co_await on_rcpt(c);
    case codec::Verb::kData:
      co_return co_await on_data();
    case codec::Verb::kBdat:
      co_return co_await on_bdat(c);
    case codec::Verb::kRset:
      reset_transaction();
      reply(250, "2.0.0", "Reset OK");
      break;
    case codec::Verb::kNoop:
      reply(250, "2.0.0", "OK");
      break;
    case codec::Verb::kVrfy:
      reply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
      break;
    case codec::Verb::kHelp:
      reply(214, "2.0.0", "See RFC 5321; https://www.rfc-editor.org/rfc/rfc5321");
      break;
    case codec::Verb::kQuit:
      reply(221, "2.0.0", "Bye");
      co_return false;
  }
  co_return true;
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
  if (auto refusal = co_await list_refusal(c.path)) co_return bad(550, "5.7.1", *refusal);
  delivery::Sender sender;
  sender.address = from_.null_path ? "" : from_.mailbox.to_string();
  sender.auth = auth_;
  sender.client_ip = conn_->peer_ip();
  std::string rcpt =
      c.path.postmaster_only ? fmt::format("postmaster@{}", o_.hostname) : mb.to_string();
  uint64_t hint = mail_params_.size.value_or(0);
  auto st = co_await pool_.run([&] { return gw_.check_recipient(sender, rcpt, hint); });
  if (!st) {
    const Error& e = st.error();
    switch (e.code) {
      case Errc::kNotFound:
        co_return bad(550, "5.1.1", "No such user here");
      case Errc::kForbidden:
        // The recipient domain's spam policy (its text names why), or a relay attempt.
        co_return bad(550, "5.7.1", e.field == "policy" ? e.message : "Relaying denied");
      case Errc::kUnavailable:
        co_return bad(550, "5.2.1", "Mailbox disabled");
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
      default:
        reply(451, "4.3.0", "Temporary failure, try again later");
        co_return true;
    }
  }
  std::string orcpt =
      c.rcpt.orcpt_type.empty() ? "" : c.rcpt.orcpt_type + ";" + c.rcpt.orcpt_address;
  rcpts_.push_back(delivery::Recipient{rcpt, c.rcpt.notify, std::move(orcpt)});
  reply(250, "2.1.5", "Recipient OK");
  co_return true;
}

}  // namespace posthouse::server::smtp
