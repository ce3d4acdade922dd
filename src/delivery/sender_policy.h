// What a recipient's spam policy (the domain's model::SpamPolicy with the mailbox's own
// model::UserSpamSettings, docs/antispam.md) does with a message from outside, given the MX's
// sender checks (SenderVerdict).
//
// Contract:
// - sender_listed(): the envelope sender matches an entry: the same address, or a domain
//   entry equal to the sender's domain or a parent of it. Case-insensitive; the null sender
//   never matches. sender_blocked() is sender_listed() on the domain's block list.
// - sender_allowed(): listed on the domain's or the user's allow list AND its domain verified
//   (v.verified_domain, from SPF or DKIM, is the sender's domain or a parent of it): an allow
//   entry never lets a forged sender through.
// - disposition_for(): with dmarc_enforce on, a DMARC fail whose disposition is reject is
//   kRefuse and quarantine is kJunk; everything else kDeliver.
// - decide(): the disposition for one recipient (a mailbox, or the domain alone), with the
//   reply text for a refusal or deferral and the reason for the quarantine. The most severe of
//   (the first listed among equals):
//   - a daemon failure with fail_open off: kDefer "Content scanning unavailable, try again later";
//   - a virus: the domain's virus_action, else the server's (in.virus_action): reject →
//     kRefuse "Message refused: virus NAME found", quarantine → kQuarantine, junk → kJunk;
//   - the user blocks the sender: kRefuse "Message refused: the recipient blocks this sender";
//   - DMARC as disposition_for();
//   - unless the sender is allowed (sender_allowed()), the spam verdict: with thresholds
//     (the lower of the domain's and the user's for each of reject, quarantine, junk) the
//     score decides, a level without a threshold following rspamd's action (reject for
//     reject; add header, rewrite subject or reject for Junk; none for the quarantine);
//     without any, rspamd's action: reject → kRefuse "Message refused as spam (score S)",
//     add header and rewrite subject → kJunk (the subject is left alone); and rspamd's
//     soft reject → kDefer, greylist → kDefer when the policy has greylisting on.
//   Severity: kDeliver < kJunk < kQuarantine < kDefer < kRefuse. `allowed` tells the caller
//   the sender skips greylisting too.
// - Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "delivery/gateway.h"
#include "model/directory.h"

namespace posthouse::delivery {

enum class Disposition { kDeliver, kJunk, kQuarantine, kDefer, kRefuse };  // by severity

struct Decision {
  Disposition what = Disposition::kDeliver;
  std::string why;       // kRefuse, kDefer: the reply text; kQuarantine: the reason held
  bool allowed = false;  // the sender is on an allow list (and verified)
};

struct PolicyInput {
  const model::SpamPolicy& domain;
  const model::UserSpamSettings* user = nullptr;  // the mailbox's own; null: none
  std::string_view sender;                        // the envelope sender
  std::string_view virus_action = "reject";       // the server's: reject, quarantine, junk
};

// The lower-case domain of an address (after its last '@'); "" when it has none.
std::string domain_of(std::string_view address);
bool sender_listed(const std::vector<std::string>& list, std::string_view sender);
bool sender_blocked(const model::SpamPolicy& p, std::string_view sender);
bool sender_allowed(const PolicyInput& in, const SenderVerdict& v);
Disposition disposition_for(const model::SpamPolicy& p, const SenderVerdict& v);
Decision decide(const PolicyInput& in, const SenderVerdict& v);

}  // namespace posthouse::delivery
