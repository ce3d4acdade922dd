// What the SMTP server asks of the rest of the system: who a client is (AUTH), which envelope
// senders it may use, which recipients are acceptable, and the durable acceptance of a message.
//
// Contract:
// - Every method may block (SQLite, argon2, fsync): call them through net::BlockingPool.
// - accept() returns only when the message is durable for every recipient (local mailboxes
//   written and committed, external recipients in the outbound queue, both fsynced): the SMTP
//   250 depends on it. On error nothing of the message is visible anywhere.
// - Recipient errors use Errc with field for the reply: kNotFound (550 5.1.1 unknown user),
//   kForbidden (550 5.7.1 relaying denied), kUnavailable (550 5.2.1 mailbox disabled),
//   kLimit with field "quota" (452 4.2.2 over quota), kTemporary (451 4.3.0).
// - accept() reads the message from a MessageSource: the SMTP server's spool (a window in
//   memory in front of a spool file), or a string for system mail. It holds at most one whole
//   copy of the message in memory at a time (the one the store or the queue is writing).
// - Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "antispam/arc_verifier.h"
#include "antispam/dmarc.h"
#include "antispam/rspamd_client.h"
#include "base/result.h"

namespace posthouse::delivery {

struct AuthUser {
  int64_t mailbox_id = 0;
  std::string address;        // the mailbox address (canonical)
  bool smtp_allowed = false;  // the template's SMTP service switch
};

struct Sender {
  std::string address;  // empty for the null sender "<>"
  std::optional<AuthUser> auth;
  std::string client_ip;
  std::string client_name;  // forward-confirmed reverse DNS of client_ip; "" unknown
};

struct Recipient {
  std::string address;  // as given in RCPT TO (canonical form)
  uint8_t notify = 0;   // DSN NOTIFY flags (protocol/smtp NotifyFlags)
  std::string orcpt;    // DSN ORCPT "type;address" (address xtext-decoded), "" if none
};

// What the MX's sender checks (antispam/message_auth.h) and content scans (clamd, rspamd)
// concluded, for the recipients' domain policies (sender_policy.h); absent when nothing was
// checked (authenticated senders, [antispam] checks off and no daemon configured).
struct SenderVerdict {
  antispam::DmarcResult dmarc = antispam::DmarcResult::kNone;
  antispam::DmarcPolicy disposition = antispam::DmarcPolicy::kNone;  // what the From domain asks
  std::string from_domain;  // RFC5322.From; "" when there was no single one
  std::string virus;        // clamd's signature name; "" when clean or not scanned
  bool virus_junk = false;  // [antispam] virus_action = "junk" (else a virus is refused)
  std::optional<antispam::RspamdAction> action;  // rspamd's action; absent: no answer
  double score = 0;
  double required_score = 0;
  std::string symbols;         // "NAME(score) ..." for the log
  bool daemon_error = false;   // a daemon failed with fail_open off: refuse for now
  // For greylisting (greylist.h): the MAIL FROM domain when SPF passed for it, else the first
  // domain a DKIM signature passed for; "" when neither.
  std::string verified_domain;
  bool dnswl = false;  // the client is on a configured allow list ([[antispam.dnsbl]])
  // For the ARC seal of copies forwarded to other hosts (antispam/arc_sealer.h): the chain's
  // validation on receipt (result kNone, sets 0: no chain) and the resinfo list of our
  // Authentication-Results ("spf=pass ...; dkim=..."); "" when the checks did not run.
  antispam::ArcVerification arc;
  std::string auth_results;
};

struct Envelope {
  Sender sender;
  std::vector<Recipient> recipients;
  bool smtputf8 = false;
  bool eight_bit = false;
  std::string envid;  // DSN ENVID
  bool ret_full = false;  // RET=FULL
  bool ret_hdrs = false;  // RET=HDRS (neither: no RET)
  std::optional<SenderVerdict> verdict;
};

// The bytes of a message being accepted. read_at() may be called any number of times (each
// local delivery attempt, the bounce, the autoresponder's look at the header); a source is
// read by one thread at a time.
class MessageSource {
 public:
  virtual ~MessageSource() = default;
  virtual uint64_t size() const = 0;
  // Exactly n bytes from offset into dst; offset + n must not pass size().
  virtual base::Status read_at(uint64_t offset, char* dst, std::size_t n) const = 0;

  // prefix followed by the whole message, in one string allocated once at its final size.
  base::Result<std::string> read(std::string_view prefix = {}) const;
  // The first min(max, size()) bytes.
  base::Result<std::string> head(std::size_t max) const;
};

// A message already in memory (system mail: bounces, autoreplies). Holds a view: the string
// must outlive it.
class StringSource final : public MessageSource {
 public:
  explicit StringSource(std::string_view bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  base::Status read_at(uint64_t offset, char* dst, std::size_t n) const override;

 private:
  std::string_view bytes_;
};

class Gateway {
 public:
  virtual ~Gateway() = default;
  // Unknown login and wrong password give the same error (Errc::kUnauthenticated).
  virtual base::Result<AuthUser> authenticate(const std::string& login, const std::string& password,
                                              const std::string& client_ip) = 0;
  // Submission: may this user send as `from`? (its own address and its aliases)
  virtual base::Status check_sender(const AuthUser& user, const std::string& from) = 0;
  // `authenticated` senders may relay to external domains; others only reach local ones.
  virtual base::Status check_recipient(const Sender& sender, const std::string& rcpt,
                                       uint64_t size_hint) = 0;
  // Durable acceptance; returns an id for the 250 reply and the logs.
  virtual base::Result<std::string> accept(const Envelope& env, const MessageSource& message) = 0;
};

}  // namespace posthouse::delivery
