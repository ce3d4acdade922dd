#include "queue/runner.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "base/clock.h"
#include "base/strings.h"
#include "protocol/smtp/command.h"
#include "queue/dsn.h"

namespace posthouse::queue {

namespace asio = boost::asio;
using base::Errc;
using base::Error;

namespace {

int64_t now_seconds() { return base::unix_now(); }

AttemptResult same(std::size_t n, Verdict v, std::string status, std::string detail) {
  AttemptResult r;
  r.recipients.assign(n, RecipientVerdict{v, std::move(status), std::move(detail)});
  return r;
}

bool wants_failure_report(uint8_t notify) {
  if (notify == smtp::kNotifyNone) return true;  // default: failures are reported
  return (notify & smtp::kNotifyFailure) != 0;
}

// RFC 3461 4.1: without NOTIFY, delays may be reported (Postfix and Exim do).
bool wants_delay_report(uint8_t notify) {
  if (notify == smtp::kNotifyNone) return true;
  return (notify & smtp::kNotifyDelay) != 0;
}

}  // namespace

Runner::Runner(RunnerOptions o, StoreAccess store, BounceSink bounce, net::BlockingPool& pool)
    : opts_(std::move(o)),
      store_(std::move(store)),
      bounce_(std::move(bounce)),
      pool_(pool),
      resolver_(opts_.resolver),
      tls_(make_client_tls(opts_.tls_ca_file)) {}

int Runner::count_received(std::string_view m, int stop_after) {
  int n = 0;
  std::size_t pos = 0;
  while (pos < m.size()) {
    auto eol = m.find('\n', pos);
    std::string_view line = m.substr(pos, eol == std::string_view::npos ? m.size() - pos : eol - pos);
    if (line.empty() || line == "\r") break;  // end of the header block
    if (base::istarts_with(line, "received:") && ++n >= stop_after) return n;
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  return n;
}

int64_t Runner::next_attempt(int64_t now, int attempts_before) const {
  int64_t delay = opts_.retry_initial;
  for (int i = 0; i < attempts_before && delay < opts_.retry_max; ++i) delay *= 2;
  return now + std::min(delay, opts_.retry_max);
}

void Runner::start(asio::any_io_executor ex) {
  timer_ = std::make_unique<asio::steady_timer>(ex);
  asio::co_spawn(ex, [self = shared_from_this()]() { return self->loop(); }, asio::detached);
}

void Runner::stop() {
  stopped_ = true;
  if (timer_) timer_->cancel();
  for (auto& [key, p] : parked_) {
    p.idle->cancel();
    p.conn->close();
  }
  parked_.clear();
}

std::optional<Runner::Parked> Runner::take(const std::string& key) {
  auto it = parked_.find(key);
  if (it == parked_.end()) return std::nullopt;
  Parked p = std::move(it->second);
  parked_.erase(it);
  p.idle->cancel();
  return p;
}

void Runner::park(const std::string& key, std::unique_ptr<Connection> conn, int sent) {
  Parked p;
  p.id = ++next_parked_id_;
  p.conn = std::move(conn);
  p.sent = sent;
  p.idle = std::make_unique<asio::steady_timer>(timer_->get_executor());
  p.idle->expires_after(opts_.connection_idle);
  p.idle->async_wait([self = shared_from_this(), key, id = p.id](boost::system::error_code ec) {
    if (ec) return;  // taken or stopped
    auto [b, e] = self->parked_.equal_range(key);
    for (auto it = b; it != e; ++it) {
      if (it->second.id != id) continue;
      auto conn = std::shared_ptr<Connection>(std::move(it->second.conn));
      self->parked_.erase(it);
      asio::co_spawn(
          self->timer_->get_executor(),
          [conn]() -> asio::awaitable<void> { co_await conn->quit(); }, asio::detached);
      return;
    }
  });
  parked_.emplace(key, std::move(p));
}

asio::awaitable<void> Runner::done_with(const std::string& key, std::unique_ptr<Connection> conn,
                                        int sent) {
  if (!stopped_ && conn->reusable() && sent < opts_.max_messages_per_connection &&
      static_cast<int>(parked_.size()) < opts_.concurrency) {
    park(key, std::move(conn), sent);
    co_return;
  }
  co_await conn->quit();
}

asio::awaitable<void> Runner::loop() {
  auto self = shared_from_this();
  auto ex = co_await asio::this_coro::executor;
  auto recovered = co_await pool_.run([this]() -> base::Result<int> {
    int n = 0;
    auto st = store_([&](QueueStore& q) -> base::Status {
      n = PH_TRY(q.recover(now_seconds()));
      return {};
    });
    if (!st) return std::move(st).error();
    return n;
  });
  if (!recovered) {
    spdlog::error("queue: recovery failed: {}", recovered.error().message);
  } else if (*recovered > 0) {
    spdlog::info("queue: {} recipients left in sending by a stop are due again", *recovered);
  }
  int64_t last_purge = 0;
  while (!stopped_) {
    int room = opts_.concurrency - active_;
    if (room > 0) {
      auto claims = co_await pool_.run([&]() -> base::Result<std::vector<Claim>> {
        std::vector<Claim> out;
        auto st = store_([&](QueueStore& q) -> base::Status {
          out = PH_TRY(q.claim_due(now_seconds(), room * 10));
          return {};
        });
        if (!st) return std::move(st).error();
        return out;
      });
      if (!claims) {
        spdlog::warn("queue: claim failed: {}", claims.error().message);
      } else {
        std::vector<int64_t> give_back;
        for (auto& c : *claims) {
          if (active_ >= opts_.concurrency || per_domain_[c.domain] >= opts_.concurrency_per_domain) {
            for (const auto& r : c.recipients) give_back.push_back(r.id);
            continue;
          }
          ++active_;
          ++per_domain_[c.domain];
          asio::co_spawn(ex, deliver(std::move(c)), asio::detached);
        }
        if (!give_back.empty()) {
          co_await pool_.run([this, &give_back] {
            auto st = store_([&](QueueStore& q) { return q.release(give_back); });
            if (!st) spdlog::warn("queue: release failed: {}", st.error().message);
          });
        }
      }
    }
    int64_t now = now_seconds();
    if (now - last_purge > 3600) {
      last_purge = now;
      co_await pool_.run([&] {
        // Finished messages stay visible in `queue list` for a day.
        auto st = store_([&](QueueStore& q) -> base::Status {
          PH_TRY(q.purge_finished(now - 86400));
          return {};
        });
        if (!st) spdlog::warn("queue: purge failed: {}", st.error().message);
      });
    }
    if (stopped_) break;
    if (wake_) {
      wake_ = false;
      continue;
    }
    timer_->expires_after(opts_.poll_interval);
    co_await timer_->async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> Runner::deliver(Claim c) {
  auto self = shared_from_this();
  co_await deliver_in_slot(std::move(c));
  // The slot is free again: due messages for a destination whose session was just parked can
  // use it now rather than at the next poll.
  if (!parked_.empty() && !stopped_) {
    wake_ = true;
    if (timer_) timer_->cancel();
  }
}

asio::awaitable<void> Runner::deliver_in_slot(Claim c) {
  struct Slot {
    Runner* r;
    std::string domain;
    ~Slot() {
      --r->active_;
      --r->per_domain_[domain];
    }
  } slot{this, c.domain};
  std::string wire;  // what is sent: the body, DKIM-signed when the sender is ours
  auto body = co_await pool_.run([this, &c, &wire]() -> base::Result<std::string> {
    std::string b;
    auto st = store_([&](QueueStore& q) -> base::Status {
      b = PH_TRY(q.body(c.queue_id));
      return {};
    });
    if (!st) return std::move(st).error();
    wire = opts_.sign ? opts_.sign(c.sender, b) : b;
    return b;
  });
  if (!body) {
    if (body.error().code != Errc::kNotFound) {
      spdlog::warn("queue: {}: cannot load: {}", c.queue_id, body.error().message);
      std::vector<int64_t> ids;
      for (const auto& r : c.recipients) ids.push_back(r.id);
      co_await pool_.run([this, &ids] { (void)store_([&](QueueStore& q) { return q.release(ids); }); });
    }
    co_return;
  }
  auto result = co_await attempt(c, wire);
  co_await pool_.run([this, &c, &body, &result] { finish(c, *body, result); });
}

asio::awaitable<base::Result<Route>> Runner::route_for(const Claim& c, TlsMode& tls,
                                                        const Relay*& relay) {
  relay = nullptr;
  auto at = c.sender.rfind('@');
  if (at != std::string::npos) {
    auto it = opts_.sender_relays.find(base::to_lower(c.sender.substr(at + 1)));
    if (it != opts_.sender_relays.end()) relay = &it->second;
  }
  if (!relay && opts_.smarthost) relay = &*opts_.smarthost;
  if (relay) {
    tls = relay->tls;
    const std::string& host = relay->host;
    auto addrs = co_await dns_pool_.run([&] { return resolver_.addresses(host); });
    if (!addrs) co_return Error(Errc::kTemporary, addrs.error().message);  // our relay: retry
    Route r;
    r.hosts.push_back(MxHost{0, host, std::move(*addrs)});
    co_return r;
  }
  tls = std::find(opts_.require_tls_domains.begin(), opts_.require_tls_domains.end(), c.domain) !=
                opts_.require_tls_domains.end()
            ? TlsMode::kRequired
            : TlsMode::kOpportunistic;
  // By reference, into a named result: g++ 12 mishandles by-value captures of temporaries
  // awaited in a co_return expression.
  const std::string& domain = c.domain;
  auto route = co_await dns_pool_.run([&] { return resolver_.route(domain); });
  co_return route;
}

asio::awaitable<AttemptResult> Runner::attempt(const Claim& c, const std::string& body) {
  const std::size_t n = c.recipients.size();
  int hops = count_received(body, opts_.max_received_headers + 1);
  if (hops > opts_.max_received_headers) {
    co_return same(n, Verdict::kPermanent, "5.4.6",
                   fmt::format("mail loop: more than {} Received headers",
                               opts_.max_received_headers));
  }
  TlsMode tls = TlsMode::kOpportunistic;
  const Relay* relay = nullptr;
  auto route = co_await route_for(c, tls, relay);
  if (!route) {
    const Error& e = route.error();
    if (e.code != Errc::kNotFound) co_return same(n, Verdict::kTemporary, "4.4.3", e.message);
    co_return same(n, Verdict::kPermanent, e.field == "null_mx" ? "5.1.10" : "5.1.2", e.message);
  }
  Transaction tx;
  tx.sender = c.sender;
  for (const auto& r : c.recipients) {
    tx.recipients.push_back(r.address);
    tx.notify.push_back(r.notify);
    tx.orcpt.push_back(r.orcpt);
  }
  tx.body = body;
  tx.smtputf8 = c.smtputf8;
  tx.eight_bit = c.eight_bit;
  tx.envid = c.envid;
  tx.ret_full = c.ret_full;
  tx.ret_hdrs = c.ret_hdrs;
  ClientOptions co;
  co.helo_name = opts_.hostname;
  co.tls = tls;
  co.connect_timeout = opts_.connect_timeout;
  co.command_timeout = opts_.command_timeout;
  if (relay) {
    co.auth_user = relay->user;
    co.auth_password = relay->password;
  }
  // Required TLS is authenticated TLS: the certificate must be for the name we looked up.
  const bool verify = tls == TlsMode::kRequired || tls == TlsMode::kImplicit;
  uint16_t port = relay ? relay->port : opts_.mx_port;
  auto options_for = [&](const MxHost& host) {
    ClientOptions o = co;
    o.sni = host.name;
    if (verify) o.verify_name = host.name;
    return o;
  };
  auto key_of = [&](const ClientOptions& o, const asio::ip::tcp::endpoint& ep) {
    return fmt::format("[{}]:{}|{}|{}|{}|{}", ep.address().to_string(), ep.port(),
                       static_cast<int>(o.tls), o.sni, o.verify_name, o.auth_user);
  };
  // A parked session to any address of the route goes first.
  for (const auto& host : route->hosts) {
    ClientOptions o = options_for(host);
    for (const auto& addr : host.addresses) {
      boost::system::error_code ec;
      auto ip = asio::ip::make_address(addr, ec);
      if (ec) continue;
      std::string key = key_of(o, asio::ip::tcp::endpoint(ip, port));
      while (auto p = take(key)) {
        if (!co_await p->conn->reset()) {
          p->conn->close();  // the peer let it go while idle: not this message's failure
          continue;
        }
        auto r = co_await p->conn->send(tx);
        co_await done_with(key, std::move(p->conn), p->sent + 1);
        co_return r;
      }
    }
  }
  AttemptResult last = same(n, Verdict::kTemporary, "4.4.1", "no address to connect to");
  for (const auto& host : route->hosts) {
    if (!relay && base::iequals(host.name, opts_.hostname)) {
      co_return same(n, Verdict::kPermanent, "5.4.6",
                     fmt::format("mail for {} loops back to myself (MX {})", c.domain, host.name));
    }
    ClientOptions o = options_for(host);
    for (const auto& addr : host.addresses) {
      boost::system::error_code ec;
      auto ip = asio::ip::make_address(addr, ec);
      if (ec) continue;
      asio::ip::tcp::endpoint ep(ip, port);
      std::string self_key =
          ip.is_v6() ? fmt::format("[{}]:{}", addr, port) : fmt::format("{}:{}", addr, port);
      if (!relay && std::find(opts_.self_endpoints.begin(), opts_.self_endpoints.end(),
                              self_key) != opts_.self_endpoints.end()) {
        co_return same(n, Verdict::kPermanent, "5.4.6",
                       fmt::format("mail for {} loops back to myself (MX {} is {})", c.domain,
                                   host.name, self_key));
      }
      auto conn = std::make_unique<Connection>(co_await asio::this_coro::executor, o, tls_);
      if (auto f = co_await conn->open(ep)) {
        co_await conn->quit();
        last = same(n, f->verdict.verdict, f->verdict.status, f->verdict.detail);
        if (!f->try_next) co_return last;
        continue;
      }
      auto r = co_await conn->send(tx);
      co_await done_with(key_of(o, ep), std::move(conn), 1);
      co_return r;
    }
  }
  co_return last;
}

void Runner::warn_delay(const Claim& c, const std::string& body,
                        const std::vector<RecipientVerdict>& verdicts,
                        const std::vector<Outcome>& outcomes, int64_t now) {
  // Never about a null-sender message: that is a bounce or an autoreply.
  if (opts_.delay_warning <= 0 || c.sender.empty()) return;
  if (now - c.created_at < opts_.delay_warning) return;
  std::vector<int64_t> ids;
  for (std::size_t i = 0; i < c.recipients.size(); ++i) {
    const auto& r = c.recipients[i];
    if (outcomes[i].state == RecipientState::kDeferred && !r.delay_warned &&
        wants_delay_report(r.notify)) {
      ids.push_back(r.id);
    }
  }
  if (ids.empty()) return;
  std::vector<int64_t> marked;
  auto st = store_([&](QueueStore& q) -> base::Status {
    marked = PH_TRY(q.mark_delay_warned(ids));
    return {};
  });
  if (!st) {
    spdlog::warn("queue: {}: cannot mark the delay warning: {}", c.queue_id, st.error().message);
    return;
  }
  if (marked.empty()) return;
  BounceInput b;
  b.reporting_mta = opts_.hostname;
  b.original_sender = c.sender;
  b.envid = c.envid;
  b.original_message = body;
  b.headers_only = true;
  b.arrival_date = c.created_at;
  b.delayed = true;
  b.will_retry_until = c.created_at + opts_.max_age;
  for (std::size_t i = 0; i < c.recipients.size(); ++i) {
    const auto& r = c.recipients[i];
    if (std::find(marked.begin(), marked.end(), r.id) == marked.end()) continue;
    const std::string& vs = verdicts[i].status;
    std::string status = !vs.empty() && vs[0] == '4' ? vs : "4.0.0";
    b.failed.push_back({r.address, status, "smtp; " + verdicts[i].detail, r.orcpt, ""});
  }
  if (auto sent = bounce_(c.sender, build_bounce(b, now), c.origin_domain_id); !sent) {
    spdlog::error("queue: {}: cannot send the delay warning to <{}>: {}", c.queue_id, c.sender,
                  sent.error().message);
    // A later attempt tries again.
    if (auto un = store_([&](QueueStore& q) { return q.unmark_delay_warned(marked); }); !un) {
      spdlog::warn("queue: {}: cannot unmark the delay warning: {}", c.queue_id,
                   un.error().message);
    }
    return;
  }
  spdlog::info("queue: {}: delay warning for {} recipient(s) sent to <{}>", c.queue_id,
               marked.size(), c.sender);
}

void Runner::report_relayed(const Claim& c, const std::string& body, const AttemptResult& result,
                            int64_t now) {
  if (result.peer_dsn || c.sender.empty()) return;
  BounceInput b;
  b.success = true;
  for (std::size_t i = 0; i < c.recipients.size(); ++i) {
    const auto& r = c.recipients[i];
    const auto& v = result.recipients[i];
    if (v.verdict != Verdict::kDelivered || !(r.notify & smtp::kNotifySuccess)) continue;
    b.failed.push_back({r.address, "2.0.0", "smtp; " + v.detail, r.orcpt, "relayed"});
  }
  if (b.failed.empty()) return;
  b.reporting_mta = opts_.hostname;
  b.original_sender = c.sender;
  b.envid = c.envid;
  b.original_message = body;
  b.arrival_date = c.created_at;
  // A success report that cannot be handed on is logged, not retried: the message itself was
  // delivered and is not sent again for it.
  if (auto st = bounce_(c.sender, build_bounce(b, now), c.origin_domain_id); !st) {
    spdlog::error("queue: {}: cannot send the relayed report to <{}>: {}", c.queue_id, c.sender,
                  st.error().message);
    return;
  }
  spdlog::info("queue: {}: relayed report for {} recipient(s) sent to <{}>", c.queue_id,
               b.failed.size(), c.sender);
}

void Runner::finish(const Claim& c, const std::string& body, const AttemptResult& result) {
  const std::vector<RecipientVerdict>& verdicts = result.recipients;
  int64_t now = now_seconds();
  std::vector<Outcome> outcomes;
  std::vector<ReportRecipient> failed;
  for (std::size_t i = 0; i < c.recipients.size(); ++i) {
    const auto& r = c.recipients[i];
    const auto& v = verdicts[i];
    Outcome o{r.id, RecipientState::kDelivered, now, v.detail};
    bool report = false;
    if (v.verdict == Verdict::kPermanent) {
      o.state = RecipientState::kBounced;
      report = true;
    } else if (v.verdict == Verdict::kTemporary) {
      if (now - c.created_at >= opts_.max_age) {
        o.state = RecipientState::kExpired;
        o.detail = "expired after repeated temporary failures; last: " + v.detail;
        report = true;
      } else {
        o.state = RecipientState::kDeferred;
        o.next_attempt_at = next_attempt(now, r.attempts);
      }
    }
    spdlog::info("queue: {} to=<{}> {}: {}", c.queue_id, r.address, state_name(o.state), o.detail);
    if (report && wants_failure_report(r.notify)) {
      std::string status = o.state == RecipientState::kExpired ? "4.4.7" : v.status;
      failed.push_back({r.address, status, "smtp; " + o.detail, r.orcpt, ""});
    }
    outcomes.push_back(std::move(o));
  }
  warn_delay(c, body, verdicts, outcomes, now);
  report_relayed(c, body, result, now);
  if (!failed.empty()) {
    if (c.sender.empty()) {
      spdlog::info("queue: {}: no bounce for a null-sender message", c.queue_id);
    } else {
      BounceInput b;
      b.reporting_mta = opts_.hostname;
      b.original_sender = c.sender;
      b.envid = c.envid;
      b.original_message = body;
      b.headers_only = !c.ret_full;
      b.failed = std::move(failed);
      b.arrival_date = c.created_at;
      if (auto st = bounce_(c.sender, build_bounce(b, now), c.origin_domain_id); !st) {
        // The report must not be lost: the failed recipients stay pending and are tried
        // (and reported) again.
        spdlog::error("queue: {}: cannot send the bounce to <{}>: {}", c.queue_id, c.sender,
                      st.error().message);
        for (std::size_t i = 0; i < outcomes.size(); ++i) {
          if (outcomes[i].state == RecipientState::kBounced ||
              outcomes[i].state == RecipientState::kExpired) {
            outcomes[i].state = RecipientState::kDeferred;
            outcomes[i].next_attempt_at = next_attempt(now, c.recipients[i].attempts);
          }
        }
      }
    }
  }
  if (auto st = store_([&](QueueStore& q) { return q.record(outcomes, now); }); !st) {
    spdlog::error("queue: {}: cannot record outcomes: {}", c.queue_id, st.error().message);
  }
}

}  // namespace posthouse::queue
