#include "queue/smtp_client.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <optional>

#include "base/result.h"
#include "base/strings.h"
#include "protocol/smtp/client_reply.h"
#include "protocol/smtp/command.h"
#include "protocol/text.h"

namespace posthouse::queue {

namespace asio = boost::asio;
using asio::ip::tcp;
using base::Errc;
using base::Error;

std::string dot_stuff(std::string_view body) {
  std::string out;
  out.reserve(body.size() + body.size() / 64 + 8);
  bool line_start = true;
  for (char c : body) {
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = c == '\n';
  }
  if (!out.empty() && !line_start) out += "\r\n";
  out += ".\r\n";
  return out;
}

std::shared_ptr<asio::ssl::context> make_client_tls(const std::string& ca_file) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  // Off by default: Session::handshake() turns it on for connections that must verify.
  ctx->set_verify_mode(asio::ssl::verify_none);
  if (ca_file.empty()) {
    ctx->set_default_verify_paths();
  } else {
    ctx->load_verify_file(ca_file);
  }
  return ctx;
}

// One SMTP client connection: buffered, bounded line reads and deadline-guarded I/O.
class Connection::Session {
 public:
  Session(asio::any_io_executor ex, const ClientOptions& o,
          std::shared_ptr<asio::ssl::context> tls)
      : opts_(o), tls_ctx_(std::move(tls)), stream_(ex, *tls_ctx_), timer_(ex) {}

  asio::awaitable<base::Status> connect(const tcp::endpoint& ep) {
    arm(opts_.connect_timeout);
    auto [ec] = co_await stream_.next_layer().async_connect(ep, asio::as_tuple(asio::use_awaitable));
    disarm();
    if (ec) co_return Error(Errc::kIo, fmt::format("connect to {}: {}", where(ep), ec.message()));
    co_return base::Status{};
  }

  asio::awaitable<base::Status> handshake() {
    SSL* ssl = stream_.native_handle();
    boost::system::error_code ip_ec;
    asio::ip::make_address(opts_.sni, ip_ec);
    // No SNI for an address literal (RFC 6066 3).
    if (!opts_.sni.empty() && ip_ec) SSL_set_tlsext_host_name(ssl, opts_.sni.c_str());
    const std::string& name = opts_.verify_name;
    if (!name.empty()) {
      SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
      boost::system::error_code ec;
      asio::ip::make_address(name, ec);
      int ok = ec ? SSL_set1_host(ssl, name.c_str())
                  : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
      if (ok != 1) co_return Error(Errc::kInvalid, fmt::format("cannot verify the name {}", name));
    }
    arm(opts_.command_timeout);
    auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::client,
                                                 asio::as_tuple(asio::use_awaitable));
    disarm();
    if (ec) {
      long vr = SSL_get_verify_result(ssl);
      if (!name.empty() && vr != X509_V_OK) {
        co_return Error(Errc::kForbidden,
                        fmt::format("TLS certificate verification failed for {}: {}", name,
                                    X509_verify_cert_error_string(vr)));
      }
      co_return Error(Errc::kIo, fmt::format("TLS handshake failed: {}", ec.message()));
    }
    tls_ = true;
    buf_.clear();
    co_return base::Status{};
  }

  asio::awaitable<base::Status> write(std::string_view data) {
    arm(opts_.command_timeout);
    boost::system::error_code ec;
    if (tls_) {
      std::tie(ec, std::ignore) = co_await asio::async_write(
          stream_, asio::buffer(data), asio::as_tuple(asio::use_awaitable));
    } else {
      std::tie(ec, std::ignore) = co_await asio::async_write(
          stream_.next_layer(), asio::buffer(data), asio::as_tuple(asio::use_awaitable));
    }
    disarm();
    if (ec) co_return Error(Errc::kIo, fmt::format("write failed: {}", ec.message()));
    co_return base::Status{};
  }

  asio::awaitable<base::Result<smtp::ServerReply>> read_reply() {
    smtp::ReplyParser parser(opts_.max_reply_lines);
    while (true) {
      auto line = co_await read_line();
      if (!line) co_return std::move(line).error();
      auto done = parser.feed(*line);
      if (!done) co_return std::move(done).error();
      if (*done) co_return parser.take();
    }
  }

  void close() {
    boost::system::error_code ec;
    stream_.next_layer().close(ec);
    timer_.cancel();
  }

  bool is_tls() const { return tls_; }
  smtp::Extensions ext;  // what the last EHLO offered
  static std::string where(const tcp::endpoint& ep) {
    return fmt::format("[{}]:{}", ep.address().to_string(), ep.port());
  }

 private:
  void arm(std::chrono::seconds t) {
    timer_.expires_after(t);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) {
        timed_out_ = true;
        boost::system::error_code ignore;
        stream_.next_layer().close(ignore);
      }
    });
  }
  void disarm() { timer_.cancel(); }

  asio::awaitable<base::Result<std::string>> read_line() {
    while (true) {
      auto lf = buf_.find('\n');
      if (lf != std::string::npos) {
        std::string line = buf_.substr(0, lf);
        buf_.erase(0, lf + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.size() > opts_.max_reply_line) co_return Error(Errc::kTooLarge, "reply line too long");
        co_return line;
      }
      if (buf_.size() > opts_.max_reply_line) co_return Error(Errc::kTooLarge, "reply line too long");
      char chunk[8192];
      arm(opts_.command_timeout);
      boost::system::error_code ec;
      std::size_t n = 0;
      if (tls_) {
        std::tie(ec, n) = co_await stream_.async_read_some(asio::buffer(chunk),
                                                           asio::as_tuple(asio::use_awaitable));
      } else {
        std::tie(ec, n) = co_await stream_.next_layer().async_read_some(
            asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
      }
      disarm();
      if (ec) {
        if (timed_out_) co_return Error(Errc::kIo, "timeout waiting for the server");
        if (ec == asio::error::eof) co_return Error(Errc::kIo, "connection closed by the server");
        co_return Error(Errc::kIo, fmt::format("read failed: {}", ec.message()));
      }
      buf_.append(chunk, n);
    }
  }

  const ClientOptions& opts_;  // owned by the Connection
  std::shared_ptr<asio::ssl::context> tls_ctx_;
  asio::ssl::stream<tcp::socket> stream_;
  asio::steady_timer timer_;
  std::string buf_;
  bool tls_ = false;
  bool timed_out_ = false;
};

namespace {

RecipientVerdict verdict_of(const smtp::ServerReply& r, const std::string& who) {
  RecipientVerdict v;
  v.verdict = r.positive() ? Verdict::kDelivered
                           : (r.permanent() ? Verdict::kPermanent : Verdict::kTemporary);
  v.status = !r.status.empty() ? r.status
                               : (r.positive() ? "2.0.0" : r.permanent() ? "5.0.0" : "4.0.0");
  v.detail = fmt::format("{} said: {}", who, r.summary());
  return v;
}

RecipientVerdict own(Verdict v, std::string status, std::string detail) {
  return RecipientVerdict{v, std::move(status), std::move(detail)};
}

AttemptResult all(std::size_t n, const RecipientVerdict& v, bool try_next) {
  AttemptResult a;
  a.try_next = try_next;
  a.recipients.assign(n, v);
  return a;
}

std::string mail_from(const Transaction& tx, const smtp::Extensions& ext) {
  std::string cmd = fmt::format("MAIL FROM:<{}>", tx.sender);
  if (ext.has_size) cmd += fmt::format(" SIZE={}", tx.body.size());
  if (tx.eight_bit && ext.eight_bit_mime) cmd += " BODY=8BITMIME";
  if (tx.smtputf8 && ext.smtputf8) cmd += " SMTPUTF8";
  if (ext.dsn) {
    if (tx.ret_full || tx.ret_hdrs) cmd += tx.ret_full ? " RET=FULL" : " RET=HDRS";
    if (!tx.envid.empty()) cmd += " ENVID=" + smtp::xtext_encode(tx.envid);
  }
  return cmd + "\r\n";
}

std::string rcpt_to(const Transaction& tx, std::size_t i, const smtp::Extensions& ext) {
  std::string cmd = fmt::format("RCPT TO:<{}>", tx.recipients[i]);
  if (ext.dsn) {
    uint8_t notify = i < tx.notify.size() ? tx.notify[i] : 0;
    if (notify) cmd += " NOTIFY=" + smtp::notify_value(notify);
    std::string_view orcpt = i < tx.orcpt.size() ? std::string_view(tx.orcpt[i]) : "";
    auto semi = orcpt.find(';');
    if (semi != std::string_view::npos) {
      cmd += " ORCPT=" + smtp::orcpt_value(orcpt.substr(0, semi), orcpt.substr(semi + 1));
    }
  }
  return cmd + "\r\n";
}

}  // namespace

Connection::Connection(asio::any_io_executor ex, ClientOptions opts,
                       std::shared_ptr<asio::ssl::context> tls)
    : opts_(std::move(opts)) {
  s_ = std::make_unique<Session>(ex, opts_, std::move(tls));
}

Connection::~Connection() = default;

bool Connection::is_tls() const { return s_->is_tls(); }

void Connection::close() {
  reusable_ = false;
  s_->close();
}

asio::awaitable<std::optional<Connection::Failure>> Connection::open(const tcp::endpoint& peer) {
  Session& s = *s_;
  const ClientOptions& o = opts_;
  who_ = fmt::format("{}{}", o.sni.empty() ? "" : o.sni, Session::where(peer));
  auto fail = [](RecipientVerdict v, bool next) { return Failure{std::move(v), next}; };
  auto temp = [&](const std::string& what, bool next) {
    return fail(own(Verdict::kTemporary, "4.4.2", fmt::format("{}: {}", who_, what)), next);
  };
  // A certificate that does not verify: another MX may hold a good one.
  auto tls_fail = [&](const Error& e) {
    return e.code == Errc::kForbidden
               ? fail(own(Verdict::kTemporary, "4.7.5",
                          fmt::format("{}: 4.7.5 {}", who_, e.message)),
                      true)
               : temp(e.message, true);
  };
  auto replied = [&](const smtp::ServerReply& r) {
    return fail(verdict_of(r, who_), !r.permanent());
  };
  if (auto st = co_await s.connect(peer); !st) {
    co_return fail(own(Verdict::kTemporary, "4.4.1", st.error().message), true);
  }
  if (o.tls == TlsMode::kImplicit) {
    if (auto st = co_await s.handshake(); !st) co_return tls_fail(st.error());
  }
  auto banner = co_await s.read_reply();
  if (!banner) co_return temp(fmt::format("bad greeting: {}", banner.error().message), true);
  if (!banner->positive()) co_return replied(*banner);
  auto loops = [&](const smtp::ServerReply& r) {
    return base::iequals(smtp::greeting_domain(r), o.helo_name);
  };
  auto loop_verdict = [&] {
    return fail(own(Verdict::kPermanent, "5.4.6",
                    fmt::format("mail for {} loops back to myself", who_)),
                false);
  };
  if (loops(*banner)) co_return loop_verdict();

  smtp::Extensions& ext = s.ext;
  auto ehlo = [&]() -> asio::awaitable<base::Result<smtp::ServerReply>> {
    if (auto st = co_await s.write(fmt::format("EHLO {}\r\n", o.helo_name)); !st) co_return st.error();
    auto r = co_await s.read_reply();
    if (!r) co_return std::move(r).error();
    if (r->positive()) {
      ext = smtp::parse_ehlo(*r);
      co_return r;
    }
    if (auto st = co_await s.write(fmt::format("HELO {}\r\n", o.helo_name)); !st) co_return st.error();
    ext = smtp::Extensions{};
    co_return co_await s.read_reply();
  };
  auto hello = co_await ehlo();
  if (!hello) co_return temp(hello.error().message, true);
  if (!hello->positive()) co_return replied(*hello);
  if (loops(*hello)) co_return loop_verdict();

  if (!s.is_tls() && o.tls != TlsMode::kNone && ext.starttls) {
    if (auto st = co_await s.write("STARTTLS\r\n"); !st) co_return temp(st.error().message, true);
    auto r = co_await s.read_reply();
    if (!r) co_return temp(r.error().message, true);
    if (r->code == 220) {
      if (auto st = co_await s.handshake(); !st) co_return tls_fail(st.error());
      hello = co_await ehlo();
      if (!hello) co_return temp(hello.error().message, true);
      if (!hello->positive()) co_return replied(*hello);
    } else if (o.tls == TlsMode::kRequired) {
      co_return fail(own(Verdict::kTemporary, "4.7.5",
                         fmt::format("{}: STARTTLS refused: {}", who_, r->summary())),
                     true);
    }
  }
  if (o.tls == TlsMode::kRequired && !s.is_tls()) {
    co_return fail(own(Verdict::kTemporary, "4.7.5",
                       fmt::format("{}: TLS is required but the server offers no STARTTLS", who_)),
                   true);
  }

  if (!o.auth_user.empty()) {
    bool plain = std::find(ext.auth.begin(), ext.auth.end(), "PLAIN") != ext.auth.end();
    bool login = std::find(ext.auth.begin(), ext.auth.end(), "LOGIN") != ext.auth.end();
    if (!plain && !login) co_return temp("the server offers no AUTH PLAIN or LOGIN", false);
    std::optional<smtp::ServerReply> final_reply;
    if (plain) {
      std::string cred = std::string(1, '\0') + o.auth_user + std::string(1, '\0') + o.auth_password;
      if (auto st = co_await s.write("AUTH PLAIN " + protocol::base64_encode(cred) + "\r\n"); !st)
        co_return temp(st.error().message, false);
      auto r = co_await s.read_reply();
      if (!r) co_return temp(r.error().message, false);
      final_reply = *r;
    } else {
      for (const std::string* step : {static_cast<const std::string*>(nullptr), &o.auth_user,
                                      &o.auth_password}) {
        std::string line = step ? protocol::base64_encode(*step) + "\r\n" : "AUTH LOGIN\r\n";
        if (auto st = co_await s.write(line); !st) co_return temp(st.error().message, false);
        auto r = co_await s.read_reply();
        if (!r) co_return temp(r.error().message, false);
        final_reply = *r;
        if (r->code != 334) break;
      }
    }
    if (final_reply->code != 235) {
      co_return temp(fmt::format("authentication failed: {}", final_reply->summary()), false);
    }
  }
  co_return std::nullopt;
}

asio::awaitable<AttemptResult> Connection::send(const Transaction& tx) {
  Session& s = *s_;
  const smtp::Extensions& ext = s.ext;
  const std::string& who = who_;
  const std::size_t n = tx.recipients.size();
  reusable_ = false;
  auto temp = [&](const std::string& what) {
    return all(n, own(Verdict::kTemporary, "4.4.2", fmt::format("{}: {}", who, what)), false);
  };
  if (tx.smtputf8 && !ext.smtputf8) {
    co_return all(n, own(Verdict::kPermanent, "5.6.7",
                         fmt::format("{} does not support SMTPUTF8, which the message needs", who)),
                  false);
  }
  if (tx.eight_bit && !ext.eight_bit_mime) {
    co_return all(n, own(Verdict::kPermanent, "5.6.3",
                         fmt::format("{} does not support 8BITMIME, which the message needs", who)),
                  false);
  }
  if (ext.size > 0 && tx.body.size() > ext.size) {
    co_return all(n, own(Verdict::kPermanent, "5.3.4",
                         fmt::format("message of {} bytes exceeds {}'s limit of {} bytes",
                                     tx.body.size(), who, ext.size)),
                  false);
  }

  // The envelope: pipelined in one write when the server allows it (RFC 2920).
  std::vector<std::string> cmds;
  cmds.push_back(mail_from(tx, ext));
  for (std::size_t i = 0; i < n; ++i) cmds.push_back(rcpt_to(tx, i, ext));
  cmds.push_back("DATA\r\n");
  std::vector<smtp::ServerReply> replies;
  if (ext.pipelining) {
    std::string all_cmds;
    for (const auto& c : cmds) all_cmds += c;
    if (auto st = co_await s.write(all_cmds); !st) co_return temp(st.error().message);
    for (std::size_t i = 0; i < cmds.size(); ++i) {
      auto r = co_await s.read_reply();
      if (!r) co_return temp(r.error().message);
      replies.push_back(std::move(*r));
    }
  } else {
    for (std::size_t i = 0; i < cmds.size(); ++i) {
      if (auto st = co_await s.write(cmds[i]); !st) co_return temp(st.error().message);
      auto r = co_await s.read_reply();
      if (!r) co_return temp(r.error().message);
      replies.push_back(std::move(*r));
      if (i == 0 && !replies[0].positive()) break;
      if (i == cmds.size() - 2) {
        bool any = false;
        for (std::size_t k = 1; k < replies.size(); ++k) any |= replies[k].positive();
        if (!any) break;
      }
    }
  }
  if (!replies[0].positive()) co_return all(n, verdict_of(replies[0], who), false);
  AttemptResult out;
  out.peer_dsn = ext.dsn;
  std::vector<std::size_t> accepted;
  for (std::size_t i = 0; i < n; ++i) {
    if (i + 1 < replies.size() && replies[i + 1].positive()) {
      accepted.push_back(i);
      out.recipients.push_back(own(Verdict::kTemporary, "4.4.2", "pending"));
    } else if (i + 1 < replies.size()) {
      out.recipients.push_back(verdict_of(replies[i + 1], who));
    } else {
      out.recipients.push_back(own(Verdict::kTemporary, "4.4.2", "no reply to RCPT"));
    }
  }
  bool data_ok = replies.size() == cmds.size() && replies.back().code == 354;
  if (accepted.empty() || !data_ok) {
    if (!accepted.empty()) {
      // Recipients were taken but DATA was refused: they share DATA's verdict.
      RecipientVerdict v = replies.size() == cmds.size()
                               ? verdict_of(replies.back(), who)
                               : own(Verdict::kTemporary, "4.4.2", "DATA not reached");
      for (std::size_t i : accepted) out.recipients[i] = v;
    }
    // An empty message ends a DATA nobody is left to receive (RFC 2920 3.1).
    if (data_ok) co_await s.write(".\r\n");
    co_return out;
  }
  if (auto st = co_await s.write(dot_stuff(tx.body)); !st) {
    for (std::size_t i : accepted) {
      out.recipients[i] = own(Verdict::kTemporary, "4.4.2", fmt::format("{}: {}", who, st.error().message));
    }
    co_return out;
  }
  auto fin = co_await s.read_reply();
  for (std::size_t i : accepted) {
    out.recipients[i] =
        fin ? verdict_of(*fin, who)
            : own(Verdict::kTemporary, "4.4.2",
                  fmt::format("{}: after DATA: {}", who, fin.error().message));
  }
  reusable_ = fin.ok() && fin->code != 421;
  co_return out;
}

asio::awaitable<bool> Connection::reset() {
  reusable_ = false;
  if (auto st = co_await s_->write("RSET\r\n"); !st) co_return false;
  auto r = co_await s_->read_reply();
  co_return r.ok() && r->code == 250;
}

asio::awaitable<void> Connection::quit() {
  // Its reply is not awaited: a peer that stopped answering must not hold the runner.
  (void)co_await s_->write("QUIT\r\n");
  close();
}

asio::awaitable<AttemptResult> send_transaction(const tcp::endpoint& peer,
                                                const ClientOptions& opts, const Transaction& tx,
                                                std::shared_ptr<asio::ssl::context> tls) {
  Connection c(co_await asio::this_coro::executor, opts, std::move(tls));
  AttemptResult r;
  if (auto f = co_await c.open(peer)) {
    r = all(tx.recipients.size(), f->verdict, f->try_next);
  } else {
    r = co_await c.send(tx);
  }
  co_await c.quit();
  co_return r;
}

}  // namespace posthouse::queue
