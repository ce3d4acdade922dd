// What a recipient domain's spam policy (model::SpamPolicy, docs/antispam.md) does with a
// message from outside, given the MX's sender checks (SenderVerdict).
//
// Contract:
// - sender_blocked(): the envelope sender matches a block entry: the same address, or a
//   domain entry equal to the sender's domain or a parent of it. Case-insensitive; the null
//   sender is never blocked.
// - disposition_for(): with dmarc_enforce on, a DMARC fail whose disposition is reject is
//   kRefuse and quarantine is kJunk; everything else kDeliver.
// - decide(): the disposition of a message for one recipient domain, with the reply text for a
//   refusal or deferral. The most severe of (the first listed among equals): a daemon failure
//   with fail_open off (kDefer, "Content scanning unavailable, try again later"); a virus
//   (kRefuse "Message refused: virus NAME found", or kJunk with virus_junk); DMARC as
//   disposition_for(); rspamd's action: reject → kRefuse "Message refused as spam (score S)",
//   soft reject → kDefer, greylist → kDefer when the policy has greylisting on (else kDeliver),
//   add header and rewrite subject → kJunk (the subject is left alone), no action → kDeliver.
//   Severity: kDeliver < kJunk < kDefer < kRefuse.
// - Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "delivery/gateway.h"
#include "model/directory.h"

namespace posthouse::delivery {

enum class Disposition { kDeliver, kJunk, kDefer, kRefuse };  // by severity

struct Decision {
  Disposition what = Disposition::kDeliver;
  std::string why;  // kRefuse, kDefer: the reply text
};

bool sender_blocked(const model::SpamPolicy& p, std::string_view sender);
Disposition disposition_for(const model::SpamPolicy& p, const SenderVerdict& v);
Decision decide(const model::SpamPolicy& p, const SenderVerdict& v);

}  // namespace posthouse::delivery
