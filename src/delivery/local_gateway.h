// The real delivery::Gateway: the directory decides who is who and where mail goes, the
// message store keeps local mail, the outbound queue keeps mail for other hosts.
//
// Contract (beyond gateway.h):
// - Mailboxes are provisioned in the message store lazily, at first delivery or login, from
//   the directory (folders of its template, its quota), so the CLI needs no running server.
// - accept(): external recipients (direct, forwards, external alias targets) are queued first,
//   then local mailboxes get one copy each with a Return-Path header, in one store commit.
//   When nothing at all could be accepted, the whole message is refused: kTemporary (451, the
//   client retries) or kLimit/"quota" (452). When some copies were accepted, a local
//   recipient that failed permanently (over quota) gets a bounce to a non-null sender.
// - DSN (RFC 3461 6.2.7): a recipient with NOTIFY=SUCCESS gets a success report to a non-null
//   sender once its copy is committed: "delivered" when it is one mailbox, "expanded" when an
//   alias or forward made several destinations of it (local or not; once the local copies
//   are committed and the others queued). A recipient that becomes exactly one
//   external address passes its NOTIFY and ORCPT on to the queue (the next hop or the runner
//   reports); several destinations take NOTIFY without SUCCESS. NOTIFY=NEVER, and NOTIFY
//   without FAILURE, suppress the bounce for that recipient.
// - ARC: when mail the MX checked (env.verdict) goes on to external addresses because a local
//   recipient forwards (alias, forward, catch-all), the queued copy carries an ARC set sealed
//   with the forwarding domain's RSA DKIM key (made if it has none), with the chain's
//   validation and the checks' results. A seal that cannot be made (the chain already ends in
//   cv=fail, 50 sets, a temporary DNS failure in the validation) is logged; the copy goes
//   unsealed.
// - Autoresponder: after delivery, per mailbox whose settings enable it (RFC 3834 rules,
//   delivery/autoreply.h); replies go out from the null sender through the queue (or locally).
// - Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "delivery/gateway.h"
#include "delivery/greylist.h"
#include "delivery/quarantine.h"
#include "delivery/service_pool.h"
#include "queue/dsn.h"
#include "store/mail_store.h"

namespace posthouse::delivery {

struct GatewayOptions {
  std::string hostname = "localhost";
  // Native greylisting for domains whose policy turns it on; absent when rspamd greylists.
  std::optional<GreylistSettings> greylist;
  // ARC (RFC 8617): mail from outside that a local recipient forwards to other hosts is
  // sealed with the forwarding domain's DKIM key of this selector; "" = not sealed.
  std::string arc_selector;
  std::string authserv_id;  // of our Authentication-Results, for the seal's ARC-A-R
  std::string virus_action = "reject";  // the server's: reject, quarantine, junk
  QuarantineSettings quarantine;
};

class LocalGateway final : public Gateway {
 public:
  LocalGateway(GatewayOptions o, ServicePool& pool, store::MailStore& mail);

  base::Result<AuthUser> authenticate(const std::string& login, const std::string& password,
                                      const std::string& client_ip) override;
  base::Status check_sender(const AuthUser& user, const std::string& from) override;
  base::Status check_recipient(const Sender& sender, const std::string& rcpt,
                               uint64_t size_hint) override;
  base::Result<std::string> accept(const Envelope& env, const MessageSource& message) override;

  // IMAP/POP3 login: authenticates for `protocol` and provisions the mailbox in the store.
  base::Result<directory::MailPrincipal> login(const std::string& address,
                                               const std::string& password,
                                               const std::string& protocol);
  // System mail (bounces of the outbound queue) from the null sender to `to`: a local mailbox
  // or the queue. Durable when it returns OK. origin_domain_id: the local domain the report is
  // sent for (the reported entry's), 0 when none is known.
  base::Status deliver_system(const std::string& to, std::string message,
                              int64_t origin_domain_id = 0);
  // Creates the mailbox's folders and sets its quota in the message store.
  base::Status provision(int64_t mailbox_id);
  // Delivers raw into the mailbox's `folder` (provisioning it first when needed); durable.
  base::Status deliver_to_folder(int64_t mailbox_id, std::string raw, const char* folder);
  Quarantine& quarantine() { return *quarantine_; }

 private:
  // trusted: may reach external recipients (authenticated users, system mail).
  // system: a bounce or an autoreply: never answered by an autoreply or a bounce itself.
  // origin_domain_id: for system mail, the local domain it is sent for (0: decided from the
  // recipients). Queue entries record their local domain (who may see them in the API):
  // this, else an authenticated sender's domain, else the local recipient that forwards out.
  // Reads the message from `message` once per copy it writes (queue, local store, bounce), so
  // at most one whole copy is in memory at a time.
  base::Result<std::string> accept_from(const Envelope& env, const MessageSource& message,
                                        bool trusted, bool system, int64_t origin_domain_id = 0);
  // Where the spam policies (delivery/sender_policy.h) send the message: per mailbox, the
  // least severe of the decisions of the recipients that reach it, each decided with its
  // domain's policy and the mailbox's own settings.
  struct Routing {
    std::set<int64_t> junk;                     // into Junk
    std::map<int64_t, std::string> quarantine;  // into the quarantine, with the reason
  };
  // The routing of env.verdict, with reached[i] the mailboxes env.recipients[i] expands to;
  // or Errc::kForbidden (field "policy", 550 5.7.1) when every recipient refuses the message,
  // Errc::kTemporary (field "policy", 451 4.7.1) when one defers it (rspamd's greylist or
  // soft reject, a scanner down with fail_open off) and none accepts it. One answer covers
  // the whole message after DATA: while any recipient accepts it, a mailbox that would refuse
  // it gets it in the quarantine, one that would defer it in Junk (nothing is dropped).
  // Then, for the recipients whose domain greylists (natively: greylist.h) and whose sender
  // is not on an allow list, the whole message is deferred (Errc::kTemporary, field
  // "policy") while any of their triplets is not let through. One lease of the pool.
  base::Result<Routing> route(const Envelope& env,
                              const std::vector<std::vector<int64_t>>& reached);
  // At RCPT from outside: the domain's block list, and the users' when every mailbox the
  // recipient reaches blocks the sender (550 5.7.1, field "policy").
  base::Status check_blocked(const std::string& sender, const std::string& domain,
                             const directory::Resolution& res);
  // Holds the message for routing.quarantine's mailboxes; the set held. When the quarantine
  // cannot take it (logged), those mailboxes get it in Junk instead (routing.junk).
  std::set<int64_t> hold(const Envelope& env, const MessageSource& message,
                         const std::string& return_path, Routing& routing, int64_t now);
  // The ARC set for a copy of `body` forwarded for domain `forwarder`, or "" (logged).
  std::string arc_seal(const Envelope& env, const std::string& forwarder,
                       const std::string& body, int64_t now);
  void autoreply(const std::string& sender, const MessageSource& message, int64_t mailbox_id,
                 int64_t now);
  // Sends a report (bounce or success) about `message` to env's sender from the null sender;
  // failures are logged (the message itself was accepted).
  void report(const Envelope& env, const MessageSource& message, queue::BounceInput b,
              int64_t origin_domain_id, int64_t now);

  GatewayOptions opts_;
  ServicePool& pool_;
  store::MailStore& mail_;
  std::unique_ptr<Greylist> greylist_;  // when opts_.greylist
  std::unique_ptr<Quarantine> quarantine_;
};

}  // namespace posthouse::delivery
