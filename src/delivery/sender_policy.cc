#include "delivery/sender_policy.h"

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

}  // namespace posthouse::delivery
