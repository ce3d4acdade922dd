#include "delivery/sender_policy.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace posthouse::delivery {

bool sender_blocked(const model::SpamPolicy& p, std::string_view sender) {
  auto at = sender.rfind('@');
  if (sender.empty() || at == std::string_view::npos) return false;
  std::string address = base::to_lower(sender);
  std::string_view domain = std::string_view(address).substr(at + 1);
  for (const auto& e : p.block) {
    if (e.find('@') != std::string::npos) {
      if (e == address) return true;
      continue;
    }
    if (domain == e) return true;
    if (domain.size() > e.size() && domain.substr(domain.size() - e.size()) == e &&
        domain[domain.size() - e.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

Disposition disposition_for(const model::SpamPolicy& p, const SenderVerdict& v) {
  if (!p.dmarc_enforce || v.dmarc != antispam::DmarcResult::kFail) return Disposition::kDeliver;
  switch (v.disposition) {
    case antispam::DmarcPolicy::kReject: return Disposition::kRefuse;
    case antispam::DmarcPolicy::kQuarantine: return Disposition::kJunk;
    case antispam::DmarcPolicy::kNone: break;
  }
  return Disposition::kDeliver;
}

namespace {

Decision rspamd_decision(const model::SpamPolicy& p, const SenderVerdict& v) {
  using antispam::RspamdAction;
  switch (*v.action) {
    case RspamdAction::kReject:
      return {Disposition::kRefuse, fmt::format("Message refused as spam (score {:.2f})", v.score)};
    case RspamdAction::kGreylist:
      if (!p.greylist) break;
      [[fallthrough]];
    case RspamdAction::kSoftReject:
      return {Disposition::kDefer,
              fmt::format("Message deferred by the spam filter ({}), try again later",
                          antispam::rspamd_action_name(*v.action))};
    case RspamdAction::kAddHeader:
    case RspamdAction::kRewriteSubject: return {Disposition::kJunk, ""};
    case RspamdAction::kNoAction: break;
  }
  return {};
}

}  // namespace

Decision decide(const model::SpamPolicy& p, const SenderVerdict& v) {
  Decision d;
  auto worse = [&d](Decision c) {
    if (c.what > d.what) d = std::move(c);
  };
  if (v.daemon_error) worse({Disposition::kDefer, "Content scanning unavailable, try again later"});
  if (!v.virus.empty()) {
    worse(v.virus_junk ? Decision{Disposition::kJunk, ""}
                       : Decision{Disposition::kRefuse,
                                  fmt::format("Message refused: virus {} found", v.virus)});
  }
  switch (disposition_for(p, v)) {
    case Disposition::kRefuse:
      worse({Disposition::kRefuse,
             fmt::format("Message refused: it fails the DMARC policy of {} (reject)",
                         v.from_domain)});
      break;
    case Disposition::kJunk: worse({Disposition::kJunk, ""}); break;
    default: break;
  }
  if (v.action) worse(rspamd_decision(p, v));
  return d;
}

}  // namespace posthouse::delivery
