// The DNS lists in the MX session (antispam/dnsbl.h): the client's address is asked at connect
// on the sender checks' pool while the session greets and reads EHLO; the HELO name and the
// MAIL FROM domain at the first RCPT of a transaction, which awaits the client's answer too.
// A block listing refuses the transaction's recipients but postmaster; an allow listing
// outweighs it. Every finding is logged once; temperrors at warn, counted by SenderChecks.
#include <spdlog/spdlog.h>

#include "base/strings.h"
#include "server/smtp/session.h"

namespace posthouse::server::smtp {

namespace {

asio::awaitable<void> ask_client(std::shared_ptr<antispam::SenderChecks> checks,
                                 std::shared_ptr<Pending<antispam::ListFindings>> pending,
                                 std::string ip) {
  auto f = co_await checks->pool().run([&] { return checks->check_client(ip); });
  pending->set(std::move(f));
}

// RFC 5321 4.5.1: mail to postmaster is accepted whatever the client.
bool is_postmaster(const codec::Path& p) {
  return p.postmaster_only || base::to_lower(p.mailbox.local) == "postmaster";
}

// Logs each finding; returns how many were temperrors.
int report(const std::string& id, const antispam::ListFindings& f) {
  using antispam::ListResult;
  for (const auto& h : f.hits) {
    const auto& a = h.answer;
    if (a.result == ListResult::kTempError) {
      spdlog::warn("{} smtp DNS list {} temperror for {} {}: {}", id, h.zone, h.role, h.subject,
                   a.detail);
    } else if (a.result == ListResult::kListed) {
      spdlog::info("{} smtp {} {} is on the {} list {} ({})", id, h.role, h.subject,
                   h.allow ? "allow" : "block", h.zone, a.code);
    } else {
      spdlog::info("{} smtp {} {} not listed by {}: {}", id, h.role, h.subject, h.zone, a.detail);
    }
  }
  return f.temperrors();
}

}  // namespace

void Session::start_client_lists() {
  if (o_.mode != Mode::kMx || !o_.sender_checks || !o_.sender_checks->has_lists(false)) return;
  client_lists_ = std::make_shared<Pending<antispam::ListFindings>>(conn_->executor());
  asio::co_spawn(conn_->executor(), ask_client(o_.sender_checks, client_lists_, conn_->peer_ip()),
                 asio::detached);
}

asio::awaitable<const antispam::ListFindings*> Session::list_findings() {
  antispam::SenderChecks* checks = auth_ ? nullptr : o_.sender_checks.get();
  if (o_.mode != Mode::kMx || !checks || checks->lists().empty()) co_return nullptr;
  if (lists_) co_return &*lists_;
  if (client_lists_) {  // the first transaction: the answer asked at connect
    client_findings_ = co_await client_lists_->get();
    client_lists_.reset();
    checks->count_list_temperrors(report(conn_->id(), *client_findings_));
  }
  antispam::ListFindings f = client_findings_.value_or(antispam::ListFindings{});
  if (checks->has_lists(true)) {
    std::string helo = helo_;
    std::string sender =
        from_.null_path || from_.mailbox.domain_literal ? "" : base::to_lower(from_.mailbox.domain);
    auto d = co_await checks->pool().run([&] {
      auto r = checks->check_domain(helo, "HELO name");
      if (!sender.empty() && sender != base::to_lower(helo))
        r.append(checks->check_domain(sender, "Sender domain"));
      return r;
    });
    checks->count_list_temperrors(report(conn_->id(), d));
    f.append(std::move(d));
  }
  lists_ = std::move(f);
  co_return &*lists_;
}

asio::awaitable<std::optional<std::string>> Session::list_refusal(const codec::Path& rcpt) {
  const antispam::ListFindings* f = co_await list_findings();
  const antispam::ListHit* hit = f ? f->blocked() : nullptr;
  if (!hit) co_return std::nullopt;
  if (const auto* allowed = f->allowed()) {
    spdlog::info("{} smtp {} {} on the allow list {}: block listing by {} ignored", conn_->id(),
                 allowed->role, allowed->subject, allowed->zone, hit->zone);
    co_return std::nullopt;
  }
  if (is_postmaster(rcpt)) co_return std::nullopt;
  std::string text = antispam::refusal_text(*hit);
  spdlog::info("{} smtp RCPT refused: {}", conn_->id(), text);
  co_return text;
}

}  // namespace posthouse::server::smtp
