// A client for rspamd: a message checked by the normal worker (`POST /checkv2`), and spam/ham
// learnt by the controller (`POST /learnspam`, `/learnham`, with its password).
//
// Transport: HTTP/1.1 on blocking sockets with deadlines (http_exchange.h), one request per
// connection. The project has no async HTTP client, a check is one request of a message already
// in memory, and the same code serves `posthouse spam-scan`; so, like the clamd client, the
// server runs each call on net::BlockingPool (`co_await pool.run(...)`), never on an I/O
// thread, and the pool's size bounds the load put on rspamd.
//
// Contract:
// - check() sends what rspamd understands of the envelope as fields: IP, Helo, From, one Rcpt
//   per recipient, Queue-Id, User (authenticated senders only), Hostname (the client's
//   verified name); empty ones are left out. A value with CR, LF or NUL is refused.
// - The reply is bounded: at most limits.max_body bytes (default 4 MiB), JSON nested at most
//   kMaxRspamdJsonDepth deep, at most kMaxRspamdSymbols symbols kept (the first by name; the rest
//   counted in `symbols_dropped`), 16 options per symbol, texts cut to 1 KiB.
// - Every failure (connect, timeout, HTTP status, malformed reply) is a result with `error`
//   set, never a throw: the caller chooses fail-open (deliver as if rspamd said "no action")
//   or fail-closed (a temporary refusal) with effective_action(). Thread-safe.
// - The controller password is sent only to the controller and never appears in a result.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "antispam/http_exchange.h"
#include "base/result.h"

namespace posthouse::antispam {

constexpr std::size_t kMaxRspamdJsonDepth = 16;
constexpr std::size_t kMaxRspamdSymbols = 512;

enum class RspamdAction {
  kNoAction,
  kGreylist,
  kAddHeader,
  kRewriteSubject,
  kSoftReject,
  kReject,
};
std::string_view rspamd_action_name(RspamdAction a);  // rspamd's own names: "no action", ...

struct RspamdSymbol {
  std::string name;
  double score = 0;
  std::vector<std::string> options;
};

struct RspamdResult {
  std::string error;  // empty: rspamd answered; otherwise why there is no verdict
  RspamdAction action = RspamdAction::kNoAction;
  double score = 0;
  double required_score = 0;
  bool skipped = false;  // rspamd skipped the checks (settings, or a pre-result such as GTUBE)
  std::vector<RspamdSymbol> symbols;
  std::size_t symbols_dropped = 0;
  std::vector<std::pair<std::string, std::string>> messages;  // e.g. smtp_message

  bool ok() const { return error.empty(); }
  enum class OnError { kFailOpen, kFailClosed };
  // The action to apply: rspamd's, or for an error no action (open) or soft reject (closed).
  RspamdAction effective_action(OnError on_error) const;
};

// Pure: rspamd's /checkv2 JSON. An unknown action, a missing "action" or "score", a malformed
// or too deep reply: Errc::kInvalid naming what was wrong.
base::Result<RspamdResult> parse_rspamd_reply(std::string_view json);

// Pure: true when no array/object in `json` nests deeper than max_depth (strings skipped).
bool json_depth_within(std::string_view json, std::size_t max_depth);

struct RspamdEnvelope {
  std::string ip;
  std::string helo;
  std::string from;  // the MAIL FROM address ("" for the null sender: sent as From: <>)
  std::vector<std::string> rcpts;
  std::string queue_id;
  std::string user;      // authenticated user, if any
  std::string hostname;  // the client's verified host name, if any
};

// Pure: the /checkv2 fields for an envelope.
HttpFields rspamd_check_fields(const RspamdEnvelope& envelope);

struct RspamdOptions {
  std::string url;             // normal worker: "http://127.0.0.1:11333"
  std::string controller_url;  // controller: "http://127.0.0.1:11334" (learning only)
  std::string password;        // controller password (learning only)
  HttpTimeouts timeouts;
  HttpLimits limits;
};

struct RspamdLearnResult {
  std::string error;  // empty: learnt; otherwise rspamd's reason (e.g. already learnt) or ours
  int http_status = 0;
  bool ok() const { return error.empty(); }
};

class RspamdClient {
 public:
  explicit RspamdClient(RspamdOptions options) : options_(std::move(options)) {}

  RspamdResult check(std::string_view message, const RspamdEnvelope& envelope) const;
  RspamdLearnResult learn_spam(std::string_view message) const { return learn(message, true); }
  RspamdLearnResult learn_ham(std::string_view message) const { return learn(message, false); }

 private:
  RspamdLearnResult learn(std::string_view message, bool spam) const;
  RspamdOptions options_;
};

}  // namespace posthouse::antispam
