// The sender checks of a received message (antispam/sender_checks.h): Authentication-Results
// fields that claim this server's id are removed (RFC 8601 5), and on the MX, for a client
// that did not authenticate, SPF, DKIM and DMARC are checked and recorded with the allow lists'
// answers (dnswl, RFC 8904; asked at RCPT, lists.cc), then the message is scanned by clamd and
// rspamd (antispam/content_scan.h) from the same copy, on the same pool.
#include <spdlog/spdlog.h>

#include "antispam/auth_results.h"
#include "base/clock.h"
#include "server/smtp/session.h"

namespace posthouse::server::smtp {

namespace {

// Enough for the header section of nearly every message; a longer one is read whole.
constexpr std::size_t kHeadBytes = 64 * 1024;

struct Checked {
  std::string field;       // Authentication-Results (then X-Spam-*), "" when nothing was checked
  std::string head;        // the header section without forged fields
  uint64_t head_bytes = 0; // its length as received
  std::size_t removed = 0;
  std::optional<delivery::SenderVerdict> verdict;
  antispam::ContentScan scan;
};

// The scans' results in the verdict the gateway decides on (delivery/sender_policy.h).
void add_scan(delivery::SenderVerdict& v, const antispam::ContentScan& scan, bool virus_junk) {
  v.virus = scan.virus;
  v.virus_junk = virus_junk;
  v.daemon_error = scan.daemon_error;
  if (!scan.rspamd) return;
  v.action = scan.rspamd->action;
  v.score = scan.rspamd->score;
  v.required_score = scan.rspamd->required_score;
  v.symbols = antispam::symbols_summary(*scan.rspamd);
}

}  // namespace

asio::awaitable<base::Result<std::string>> Session::check_message(delivery::Envelope& env) {
  antispam::SenderChecks* checks = auth_ ? nullptr : o_.sender_checks.get();
  const antispam::ContentScanners* scanners = auth_ ? nullptr : o_.scanners.get();
  if (!checks && !scanners && o_.authserv_id.empty()) co_return std::string();
  antispam::MessageAuthInput in;
  in.client_ip = conn_->peer_ip();
  in.helo = helo_;
  in.mail_from = env.sender.address;
  in.now = base::unix_now();
  const std::string& id = checks ? checks->authserv_id() : o_.authserv_id;
  // The allow lists' answers (asked at the first RCPT): RFC 8904 results and the verdict.
  std::vector<std::string> dnswl;
  bool allowed = false;
  if (checks && lists_) {
    for (const auto& h : lists_->hits) {
      if (!h.allow) continue;
      if (auto t = antispam::dnswl_result_text(h); !t.empty()) dnswl.push_back(std::move(t));
    }
    allowed = lists_->allowed() != nullptr;
  }
  antispam::RspamdEnvelope renv;
  if (scanners) {
    renv.ip = in.client_ip;
    renv.helo = helo_;
    renv.from = env.sender.address;
    for (const auto& r : env.recipients) renv.rcpts.push_back(r.address);
    renv.queue_id = conn_->id();
    renv.hostname = env.sender.client_name;
  }
  // The message as received (no header set yet): whole for DKIM, else its start.
  auto work = [&]() -> base::Result<Checked> {
    Checked c;
    std::string raw = PH_TRY(checks || scanners ? msg_.read() : msg_.head(kHeadBytes));
    std::size_t end = antispam::header_end(raw);
    if (end == raw.size() && raw.size() < msg_.size()) {
      raw = PH_TRY(msg_.read());
      end = antispam::header_end(raw);
    }
    c.head = antispam::strip_claims(std::string_view(raw).substr(0, end), id, &c.removed,
                                    scanners && scanners->rspamd.has_value());
    c.head_bytes = end;
    if (checks && checks->message_checks()) {
      auto a = checks->check(in, raw);
      c.field = checks->field(in, a, dnswl);
      c.verdict.emplace();
      c.verdict->dmarc = a.dmarc.result;
      c.verdict->disposition = a.dmarc.disposition;
      c.verdict->from_domain = a.from_domain;
      c.verdict->verified_domain = antispam::verified_domain(a);
      c.verdict->arc = a.arc;
      c.verdict->auth_results = checks->results(in, a, dnswl);
    } else if (checks) {
      c.field = checks->field_of(dnswl);
    }
    if (allowed) {
      if (!c.verdict) c.verdict.emplace();
      c.verdict->dnswl = true;
    }
    if (scanners) {
      c.scan = antispam::scan_content(*scanners, raw, renv);
      if (!c.verdict) c.verdict.emplace();
      add_scan(*c.verdict, c.scan, scanners->virus_junk);
    }
    return c;
  };
  // Not a conditional expression with co_await in both arms: GCC 12 destroys its result twice.
  base::Result<Checked> r = base::Error(base::Errc::kInternal, "not run");
  if (checks) {
    r = co_await checks->pool().run(work);
  } else {
    r = co_await pool_.run(work);
  }
  if (!r) co_return std::move(r).error();
  if (r->removed > 0) {
    spdlog::info("{} smtp removed {} field(s) claiming to be ours (Authentication-Results of {}{})",
                 conn_->id(), r->removed, id, scanners && scanners->rspamd ? ", X-Spam-*" : "");
    msg_.replace_start(std::move(r->head), r->head_bytes);
  }
  const antispam::ContentScan& scan = r->scan;
  if (scan.failures > 0) {
    conn_->count_scan_failures(scan.failures);
    spdlog::warn("{} smtp content scan failed ({}): {}", conn_->id(),
                 scan.daemon_error ? "fail_open is off" : "delivered without its verdict",
                 scan.errors);
  }
  if (!scan.virus.empty()) spdlog::info("{} smtp clamd found {}", conn_->id(), scan.virus);
  if (scan.rspamd) {
    spdlog::info("{} smtp rspamd: {} score={:.2f} required={:.2f} {}", conn_->id(),
                 antispam::rspamd_action_name(scan.rspamd->action), scan.rspamd->score,
                 scan.rspamd->required_score, r->verdict->symbols);
    r->field += antispam::spam_status_fields(*scan.rspamd);
  }
  env.verdict = std::move(r->verdict);
  co_return std::move(r->field);
}

}  // namespace posthouse::server::smtp
