#include "server/pop3/pop3_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "auth/login.h"
#include "base/strings.h"
#include "net/close.h"
#include "net/rate.h"
#include "protocol/pop3/codec.h"
#include "protocol/text.h"

namespace posthouse::server::pop3 {

namespace asio = boost::asio;
namespace codec = ::posthouse::pop3;
using base::Errc;

namespace {

constexpr std::size_t kMaxLine = 255;  // RFC 2449 section 4, CRLF included
// After a RETR, the next message up to this size is read ahead on the blocking pool while the
// client receives the current one: clients fetch in order, and a RETR then costs no thread
// hand-off on its critical path.
constexpr uint64_t kReadAheadMax = 1024 * 1024;

struct Msg {
  store::Uid uid = 0;
  uint64_t size = 0;  // octets as sent (CRLF line ends)
  bool deleted = false;
};

// One message from the store, on the blocking pool. Takes only what outlives a session.
asio::awaitable<base::Result<std::string>> read_stored(net::BlockingPool& pool,
                                                       store::MailStore& mail, int64_t mb,
                                                       store::FolderId f, store::Uid uid) {
  co_return co_await pool.run([&] { return mail.read(mb, f, uid); });
}

// A message read ahead (see kReadAheadMax). Lives on the connection's executor (one thread).
struct ReadAhead {
  explicit ReadAhead(const asio::any_io_executor& ex, store::Uid u)
      : uid(u), wake(ex, asio::steady_timer::time_point::max()) {}
  store::Uid uid;
  bool done = false;
  base::Result<std::string> body = base::Error(Errc::kInternal, "not read");
  asio::steady_timer wake;  // cancelled when done
};

class Session {
 public:
  Session(Pop3Server& srv, std::shared_ptr<net::Connection> conn)
      : srv_(srv),
        o_(srv.options()),
        conn_(std::move(conn)),
        rate_(o_.command_rate, o_.command_burst) {}
  ~Session() {
    if (locked_) srv_.unlock(mailbox_id_);
  }
  asio::awaitable<void> run();

 private:
  void ok(std::string_view text) { out_ += fmt::format("+OK {}\r\n", text); }
  void err(std::string_view text) { out_ += fmt::format("-ERR {}\r\n", text); }
  asio::awaitable<bool> flush();
  bool count_error() { return ++errors_ < o_.max_errors; }
  bool within_budget(const codec::Command* c);

  asio::awaitable<bool> on_auth_state(const codec::Command& c);
  asio::awaitable<bool> on_transaction(const codec::Command& c);
  asio::awaitable<bool> login(const std::string& user, const std::string& password);
  asio::awaitable<bool> load_maildrop();
  asio::awaitable<void> update();
  Msg* message(uint64_t n, bool allow_deleted = false);
  asio::awaitable<bool> send_message(const Msg& m, std::optional<uint64_t> top_lines);
  asio::awaitable<base::Result<std::string>> read_body(const Msg& m);
  void read_ahead_after(const Msg& m);

  Pop3Server& srv_;
  const Options& o_;
  std::shared_ptr<net::Connection> conn_;
  std::string out_;
  int errors_ = 0;
  net::TokenBucket rate_;
  int junk_ = 0;  // commands naming no message since the last RETR/TOP/DELE
  std::string user_;
  bool authed_ = false;
  bool locked_ = false;
  int64_t mailbox_id_ = 0;
  store::FolderId inbox_ = 0;
  uint32_t uidvalidity_ = 0;
  std::vector<Msg> msgs_;
  std::shared_ptr<ReadAhead> ahead_;
};

asio::awaitable<bool> Session::flush() { co_return co_await write_pending(*conn_, out_); }

// The junk budget: a cap on commands that fetch or delete nothing (NOOP, RSET, STAT, LIST,
// UIDL, CAPA, STLS, USER, AUTH without a mechanism, ...) between two RETR/TOP/DELE. QUIT is
// always allowed. Over budget: -ERR and close without the UPDATE state (nothing is deleted).
// `c` is null for an unparsable line. (The command rate is backpressure, in run().)
bool Session::within_budget(const codec::Command* c) {
  using V = codec::Verb;
  if (c && c->verb == V::kQuit) return true;
  bool mail = c && authed_ && (c->verb == V::kRetr || c->verb == V::kTop || c->verb == V::kDele);
  bool login = c && !authed_ && (c->verb == V::kPass || (c->verb == V::kAuth && !c->arg.empty()));
  if (mail) {
    junk_ = 0;
  } else if (!login && o_.junk_command_limit > 0 && ++junk_ > o_.junk_command_limit) {
    spdlog::info("{} pop3 junk command limit reached by {}", conn_->id(), conn_->peer_ip());
    err("Too many commands without mail retrieval, closing connection");
    return false;
  }
  return true;
}

asio::awaitable<void> Session::run() {
  ok(fmt::format("Posthouse POP3 server ready <{}>", conn_->id()));
  while (!conn_->closed()) {
    if ((conn_->buffered() == 0 || out_.size() >= kFlushBytes) && !co_await flush()) co_return;
    if (conn_->shutting_down()) {
      err("[SYS/TEMP] Server shutting down");
      break;
    }
    auto line = co_await conn_->read_line(kMaxLine);
    if (!line) {
      if (line.error().code == Errc::kTooLarge) {
        err("Command line too long");
        if (!count_error()) break;
        continue;
      }
      co_return;  // dropped: nothing deleted
    }
    std::string_view text = *line;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    auto cmd = codec::parse_command(text);
    // The command rate slows the client (backpressure); QUIT is never held back.
    if ((!cmd || cmd->verb != codec::Verb::kQuit) && !co_await pace(*conn_, rate_, out_)) co_return;
    if (!within_budget(cmd ? &*cmd : nullptr)) break;
    if (!cmd) {
      out_ += codec::error_reply(cmd.error());
      if (!count_error()) break;
      continue;
    }
    bool keep = authed_ ? co_await on_transaction(*cmd) : co_await on_auth_state(*cmd);
    if (!keep) break;
  }
  co_await flush();
  co_await net::close_gracefully(conn_);  // the last reply, then close_notify; never a reset
}

asio::awaitable<bool> Session::on_auth_state(const codec::Command& c) {
  using V = codec::Verb;
  bool tls_ok = conn_->is_tls() || o_.allow_plaintext_auth;
  switch (c.verb) {
    case V::kCapa: {
      codec::CapaOptions co;
      co.stls = !conn_->is_tls() && conn_->tls_available();
      co.user = tls_ok;
      if (tls_ok) co.sasl = {"PLAIN"};
      out_ += codec::capa_reply(co);
      co_return true;
    }
    case V::kStls: {
      if (conn_->is_tls()) {
        err("Already using TLS");
        co_return true;
      }
      if (!conn_->tls_available()) {
        err("TLS not available");
        co_return true;
      }
      ok("Begin TLS negotiation");
      if (!co_await flush()) co_return false;
      auto r = co_await conn_->start_tls();
      if (!r) co_return false;
      user_.clear();
      co_return true;
    }
    case V::kUser:
      if (!tls_ok) {
        err("[AUTH] Plaintext authentication disallowed on non-secure connections; use STLS");
        co_return count_error();
      }
      user_ = std::string(c.arg);
      ok("Send your password");
      co_return true;
    case V::kPass:
      if (!tls_ok) {
        err("[AUTH] Plaintext authentication disallowed on non-secure connections; use STLS");
        co_return count_error();
      }
      if (user_.empty()) {
        err("Send USER first");
        co_return count_error();
      }
      co_return co_await login(user_, std::string(c.arg));
    case V::kAuth: {
      if (c.arg.empty()) {
        out_ += "+OK\r\nPLAIN\r\n.\r\n";
        co_return true;
      }
      if (!base::iequals(c.arg, "PLAIN")) {
        err("Unsupported authentication mechanism");
        co_return count_error();
      }
      if (!tls_ok) {
        err("[AUTH] Plaintext authentication disallowed on non-secure connections; use STLS");
        co_return count_error();
      }
      std::string resp;
      if (c.initial) {
        resp = std::string(*c.initial);
      } else {
        out_ += "+ \r\n";
        if (!co_await flush()) co_return false;
        auto l = co_await conn_->read_line(4096);
        if (!l) co_return false;
        resp = std::string(base::trim(*l));
      }
      if (protocol::is_sasl_cancel(resp)) {
        err("Authentication cancelled");
        co_return true;
      }
      auto creds = protocol::decode_sasl_plain(resp == "=" ? "" : resp);
      if (!creds || (!creds->authzid.empty() && creds->authzid != creds->authcid)) {
        err("[AUTH] Authentication failed");
        co_return count_error();
      }
      co_return co_await login(creds->authcid, creds->password);
    }
    case V::kQuit:
      ok("Bye");
      co_return false;
    case V::kNoop:
    case V::kStat:
    case V::kList:
    case V::kRetr:
    case V::kDele:
    case V::kRset:
    case V::kTop:
    case V::kUidl:
      err("Not authenticated");
      co_return count_error();
  }
  co_return true;
}

asio::awaitable<bool> Session::login(const std::string& user, const std::string& password) {
  auto p = co_await auth::throttled_login<directory::MailPrincipal>(
      srv_.throttle(), conn_->executor(), conn_->peer_ip(), user, [&] {
        return srv_.pool().run([&] { return srv_.gateway().login(user, password, "pop3"); });
      });
  if (!p) {
    if (p.error().field == "locked") {
      err("[AUTH] Too many failed attempts, try again later");
    } else if (p.error().code == Errc::kForbidden) {
      err("[AUTH] POP3 is not enabled for this account");
    } else if (p.error().code == Errc::kUnauthenticated) {
      err("[AUTH] Authentication failed");
    } else {
      err("[SYS/TEMP] Temporary failure, try again later");
    }
    user_.clear();
    co_return count_error();
  }
  mailbox_id_ = p->mailbox_id;
  if (!srv_.lock(mailbox_id_)) {
    err("[IN-USE] Mailbox is locked by another POP3 session");
    co_return false;
  }
  locked_ = true;
  if (!co_await load_maildrop()) {
    err("[SYS/TEMP] Cannot open the maildrop, try again later");
    co_return false;
  }
  authed_ = true;
  uint64_t total = 0;
  for (const auto& m : msgs_) total += m.size;
  ok(fmt::format("Logged in, {} messages ({} octets)", msgs_.size(), total));
  co_return true;
}

asio::awaitable<bool> Session::load_maildrop() {
  auto& mail = srv_.mail();
  int64_t mb = mailbox_id_;
  auto r = co_await srv_.pool().run([&]() -> base::Result<std::vector<store::MessageMeta>> {
    auto f = PH_TRY(mail.folder(mb, "INBOX"));
    inbox_ = f.id;
    uidvalidity_ = f.uidvalidity;
    return mail.fetch(mb, f.id, store::all_uids(), store::FetchOptions{});
  });
  if (!r) co_return false;
  msgs_.clear();
  for (const auto& m : *r) msgs_.push_back(Msg{m.uid, m.size, false});
  co_return true;
}

Msg* Session::message(uint64_t n, bool allow_deleted) {
  if (n == 0 || n > msgs_.size()) {
    err("No such message");
    return nullptr;
  }
  Msg& m = msgs_[n - 1];
  if (m.deleted && !allow_deleted) {
    err("Message already deleted");
    return nullptr;
  }
  return &m;
}

asio::awaitable<bool> Session::send_message(const Msg& m, std::optional<uint64_t> top_lines) {
  auto body = co_await read_body(m);
  if (!top_lines) read_ahead_after(m);
  if (!body) {
    err("[SYS/TEMP] Cannot read message");
    co_return true;
  }
  std::string_view data = *body;
  if (top_lines) data = codec::top_prefix(data, *top_lines);
  out_ +=
      top_lines ? "+OK Top of message follows\r\n" : fmt::format("+OK {} octets\r\n", body->size());
  codec::MultilineEncoder enc;
  enc.feed(data, out_);
  enc.finish(out_);
  co_return co_await flush();
}

asio::awaitable<base::Result<std::string>> Session::read_body(const Msg& m) {
  if (ahead_ && ahead_->uid == m.uid) {
    auto a = std::move(ahead_);
    if (!a->done) {
      boost::system::error_code ec;  // operation_aborted: the read finished
      co_await a->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (a->done && a->body) co_return std::move(a->body);
    // A failed read ahead is tried again below (and answered from that).
  }
  co_return co_await read_stored(srv_.pool(), srv_.mail(), mailbox_id_, inbox_, m.uid);
}

void Session::read_ahead_after(const Msg& m) {
  ahead_.reset();
  auto i = static_cast<std::size_t>(&m - msgs_.data()) + 1;
  while (i < msgs_.size() && msgs_[i].deleted) ++i;
  if (i >= msgs_.size() || msgs_[i].size > kReadAheadMax) return;
  auto a = std::make_shared<ReadAhead>(conn_->executor(), msgs_[i].uid);
  ahead_ = a;
  asio::co_spawn(
      conn_->executor(),
      [a, &pool = srv_.pool(), &mail = srv_.mail(), mb = mailbox_id_,
       f = inbox_]() -> asio::awaitable<void> {
        a->body = co_await read_stored(pool, mail, mb, f, a->uid);
        a->done = true;
        a->wake.cancel();
      },
      asio::detached);
}

asio::awaitable<bool> Session::on_transaction(const codec::Command& c) {
  using V = codec::Verb;
  switch (c.verb) {
    case V::kStat: {
      uint64_t n = 0, size = 0;
      for (const auto& m : msgs_) {
        if (!m.deleted) {
          ++n;
          size += m.size;
        }
      }
      ok(fmt::format("{} {}", n, size));
      break;
    }
    case V::kList:
    case V::kUidl: {
      bool uidl = c.verb == V::kUidl;
      auto line = [&](uint64_t i, const Msg& m) {
        return uidl ? fmt::format("{} {:08x}{:08x}", i, m.uid, uidvalidity_)
                    : fmt::format("{} {}", i, m.size);
      };
      if (c.msg) {
        Msg* m = message(*c.msg);
        if (m) ok(line(*c.msg, *m));
        break;
      }
      out_ += "+OK\r\n";
      for (std::size_t i = 0; i < msgs_.size(); ++i) {
        if (!msgs_[i].deleted) out_ += line(i + 1, msgs_[i]) + "\r\n";
      }
      out_ += ".\r\n";
      break;
    }
    case V::kRetr: {
      Msg* m = message(*c.msg);
      if (m && !co_await send_message(*m, std::nullopt)) co_return false;
      break;
    }
    case V::kTop: {
      Msg* m = message(*c.msg);
      if (m && !co_await send_message(*m, c.lines)) co_return false;
      break;
    }
    case V::kDele: {
      Msg* m = message(*c.msg);
      if (m) {
        m->deleted = true;
        ok(fmt::format("Message {} deleted", *c.msg));
      }
      break;
    }
    case V::kRset:
      for (auto& m : msgs_) m.deleted = false;
      ok("Maildrop reset");
      break;
    case V::kNoop:
      ok("");
      break;
    case V::kQuit:
      co_await update();
      co_return false;
    case V::kCapa:
      out_ += codec::capa_reply(codec::CapaOptions{false, false, {}, "Posthouse", std::nullopt});
      break;
    default:
      err("Command not valid in TRANSACTION state");
      co_return count_error();
  }
  co_return true;
}

asio::awaitable<void> Session::update() {
  store::UidSet set;
  for (const auto& m : msgs_) {
    if (m.deleted) set.push_back(store::UidRange{m.uid, m.uid});
  }
  if (set.empty()) {
    ok("Bye");
    co_return;
  }
  auto& mail = srv_.mail();
  int64_t mb = mailbox_id_;
  store::FolderId f = inbox_;
  auto r = co_await srv_.pool().run([&]() -> base::Result<store::ExpungeResult> {
    store::Flags del;
    del.system = store::kDeleted;
    PH_TRY(mail.store_flags(mb, f, set, store::FlagOp::kAdd, del, std::nullopt));
    return mail.expunge(mb, f, set);
  });
  if (!r) {
    err("[SYS/TEMP] Some deleted messages not removed");
  } else {
    ok(fmt::format("Bye, {} messages deleted", r->uids.size()));
  }
}

}  // namespace

bool Pop3Server::lock(int64_t mailbox_id) {
  std::lock_guard l(mu_);
  return locked_.insert(mailbox_id).second;
}

void Pop3Server::unlock(int64_t mailbox_id) {
  std::lock_guard l(mu_);
  locked_.erase(mailbox_id);
}

asio::awaitable<void> Pop3Server::session(std::shared_ptr<net::Connection> conn) {
  Session s(*this, std::move(conn));
  co_await s.run();
}

}  // namespace posthouse::server::pop3
