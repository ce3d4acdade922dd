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
// - Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
};

struct Recipient {
  std::string address;  // as given in RCPT TO (canonical form)
  uint8_t notify = 0;   // DSN NOTIFY flags (protocol/smtp NotifyFlags)
  std::string orcpt;
};

struct Envelope {
  Sender sender;
  std::vector<Recipient> recipients;
  bool smtputf8 = false;
  bool eight_bit = false;
  std::string envid;  // DSN ENVID
  bool ret_full = false;
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
  virtual base::Result<std::string> accept(const Envelope& env, std::string message) = 0;
};

}  // namespace posthouse::delivery
