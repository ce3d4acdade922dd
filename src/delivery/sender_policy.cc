#include "delivery/sender_policy.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/strings.h"

namespace posthouse::delivery {
namespace {

// `domain` is `parent` or a subdomain of it.
bool within(std::string_view domain, std::string_view parent) {
  if (parent.empty()) return false;
  if (domain == parent) return true;
  return domain.size() > parent.size() &&
         domain.substr(domain.size() - parent.size()) == parent &&
         domain[domain.size() - parent.size() - 1] == '.';
}

std::optional<double> lower(const std::optional<double>& a, const std::optional<double>* b) {
  if (!b || !*b) return a;
  if (!a) return *b;
  return std::min(*a, **b);
}

Decision spam_decision(const PolicyInput& in, const SenderVerdict& v) {
  using antispam::RspamdAction;
  const auto& p = in.domain;
  const auto* u = in.user;
  auto reject = lower(p.reject_score, u ? &u->reject_score : nullptr);
  auto quarantine = lower(p.quarantine_score, u ? &u->quarantine_score : nullptr);
  auto junk = lower(p.junk_score, u ? &u->junk_score : nullptr);
  RspamdAction a = *v.action;
  bool rspamd_reject = a == RspamdAction::kReject;
  bool rspamd_junk = rspamd_reject || a == RspamdAction::kAddHeader ||
                     a == RspamdAction::kRewriteSubject;
  if (reject ? v.score >= *reject : rspamd_reject)
    return {Disposition::kRefuse, fmt::format("Message refused as spam (score {:.2f})", v.score)};
  if (quarantine && v.score >= *quarantine)
    return {Disposition::kQuarantine, fmt::format("spam score {:.2f}", v.score)};
  if (junk ? v.score >= *junk : rspamd_junk) return {Disposition::kJunk, ""};
  switch (a) {
    case RspamdAction::kGreylist:
      if (!p.greylist) break;
      [[fallthrough]];
    case RspamdAction::kSoftReject:
      return {Disposition::kDefer,
              fmt::format("Message deferred by the spam filter ({}), try again later",
                          antispam::rspamd_action_name(a))};
    default: break;
  }
  return {};
}

}  // namespace

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : base::to_lower(address.substr(at + 1));
}

bool sender_listed(const std::vector<std::string>& list, std::string_view sender) {
  auto at = sender.rfind('@');
  if (sender.empty() || at == std::string_view::npos) return false;
  std::string address = base::to_lower(sender);
  std::string_view domain = std::string_view(address).substr(at + 1);
  for (const auto& e : list) {
    if (e.find('@') != std::string::npos) {
      if (e == address) return true;
    } else if (within(domain, e)) {
      return true;
    }
  }
  return false;
}

bool sender_blocked(const model::SpamPolicy& p, std::string_view sender) {
  return sender_listed(p.block, sender);
}

bool sender_allowed(const PolicyInput& in, const SenderVerdict& v) {
  if (!sender_listed(in.domain.allow, in.sender) &&
      !(in.user && sender_listed(in.user->allow, in.sender)))
    return false;
  return within(domain_of(in.sender), base::to_lower(v.verified_domain));
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

Decision decide(const PolicyInput& in, const SenderVerdict& v) {
  Decision d;
  auto worse = [&d](Decision c) {
    if (c.what > d.what) d = std::move(c);
  };
  if (v.daemon_error) worse({Disposition::kDefer, "Content scanning unavailable, try again later"});
  if (!v.virus.empty()) {
    std::string_view action = in.domain.virus_action;
    if (action.empty()) action = v.virus_junk ? std::string_view("junk") : in.virus_action;
    if (action == "junk") {
      worse({Disposition::kJunk, ""});
    } else if (action == "quarantine") {
      worse({Disposition::kQuarantine, fmt::format("virus {}", v.virus)});
    } else {
      worse({Disposition::kRefuse, fmt::format("Message refused: virus {} found", v.virus)});
    }
  }
  if (in.user && sender_listed(in.user->block, in.sender))
    worse({Disposition::kRefuse, "Message refused: the recipient blocks this sender"});
  switch (disposition_for(in.domain, v)) {
    case Disposition::kRefuse:
      worse({Disposition::kRefuse,
             fmt::format("Message refused: it fails the DMARC policy of {} (reject)",
                         v.from_domain)});
      break;
    case Disposition::kJunk: worse({Disposition::kJunk, ""}); break;
    default: break;
  }
  bool allowed = sender_allowed(in, v);
  if (v.action && !allowed) worse(spam_decision(in, v));
  d.allowed = allowed;
  return d;
}

}  // namespace posthouse::delivery
