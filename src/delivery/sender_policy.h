// What a recipient domain's spam policy (model::SpamPolicy, docs/antispam.md) does with a
// message from outside, given the MX's sender checks (SenderVerdict).
//
// Contract:
// - sender_blocked(): the envelope sender matches a block entry: the same address, or a
//   domain entry equal to the sender's domain or a parent of it. Case-insensitive; the null
//   sender is never blocked.
// - disposition_for(): with dmarc_enforce on, a DMARC fail whose disposition is reject is
//   kRefuse and quarantine is kJunk; everything else kDeliver.
// - Pure; thread-safe.
#pragma once

#include <string_view>

#include "delivery/gateway.h"
#include "model/directory.h"

namespace posthouse::delivery {

enum class Disposition { kDeliver, kJunk, kRefuse };

bool sender_blocked(const model::SpamPolicy& p, std::string_view sender);
Disposition disposition_for(const model::SpamPolicy& p, const SenderVerdict& v);

}  // namespace posthouse::delivery
