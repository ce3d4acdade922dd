// LocalGateway: the spam policies of the recipients (routing into INBOX, Junk or the
// quarantine; refusals at RCPT) — local_gateway.h.
#include <spdlog/spdlog.h>

#include "base/clock.h"
#include "base/strings.h"
#include "delivery/local_gateway.h"
#include "delivery/sender_policy.h"
#include "model/json.h"

namespace posthouse::delivery {

using base::Errc;
using base::Error;

LocalGateway::LocalGateway(GatewayOptions o, ServicePool& pool, store::MailStore& mail)
    : opts_(std::move(o)), pool_(pool), mail_(mail) {
  if (opts_.greylist) greylist_ = std::make_unique<Greylist>(*opts_.greylist);
  quarantine_ = std::make_unique<Quarantine>(
      opts_.quarantine, pool_,
      [this](int64_t mb, std::string raw) { return deliver_to_folder(mb, std::move(raw), "INBOX"); },
      [this](const std::string& to, std::string msg, int64_t domain) {
        return deliver_system(to, std::move(msg), domain);
      });
}

base::Status LocalGateway::check_blocked(const std::string& sender, const std::string& domain,
                                         const directory::Resolution& res) {
  return pool_.with([&](Services& s) -> base::Status {
    auto policy = PH_TRY(s.directory->spam_policy_of(domain));
    if (sender_blocked(policy, sender))
      return Error(Errc::kForbidden, "Sender blocked by the recipient domain's policy", "policy");
    if (res.mailboxes.empty() || !res.external.empty()) return {};
    for (int64_t mb : res.mailboxes) {
      auto m = PH_TRY(s.dir_store->get_mailbox(mb));
      if (!sender_listed(model::user_spam_of_settings(m.settings_json).block, sender)) return {};
    }
    return Error(Errc::kForbidden, "Sender blocked by the recipient", "policy");
  });
}

base::Result<LocalGateway::Routing> LocalGateway::route(
    const Envelope& env, const std::vector<std::vector<int64_t>>& reached) {
  const SenderVerdict& v = *env.verdict;
  std::map<int64_t, Decision> per_mailbox;  // the least severe over its recipients
  bool accepted = false;
  std::optional<Decision> refused;
  auto consider = [&](const Decision& d) {
    if (d.what >= Disposition::kDefer) {
      // The whole message is answered once: a deferral (try again) outranks a refusal.
      if (!refused || (d.what == Disposition::kDefer && refused->what != Disposition::kDefer))
        refused = d;
    } else {
      accepted = true;
    }
  };
  PH_CHECK(pool_.with([&](Services& s) -> base::Status {
    std::map<int64_t, model::UserSpamSettings> users;
    std::vector<std::string> greylisted;  // recipients whose domain greylists natively
    for (std::size_t ri = 0; ri < env.recipients.size(); ++ri) {
      const std::string& rcpt = env.recipients[ri].address;
      auto policy = PH_TRY(s.directory->spam_policy_of(domain_of(rcpt)));
      bool allowed_everywhere = true;
      auto decide_for = [&](const model::UserSpamSettings* u) {
        Decision d = decide({policy, u, env.sender.address, opts_.virus_action}, v);
        consider(d);
        allowed_everywhere = allowed_everywhere && d.allowed;
        return d;
      };
      if (reached[ri].empty()) decide_for(nullptr);  // it only forwards out
      for (int64_t mb : reached[ri]) {
        auto it = users.find(mb);
        if (it == users.end()) {
          auto m = PH_TRY(s.dir_store->get_mailbox(mb));
          it = users.emplace(mb, model::user_spam_of_settings(m.settings_json)).first;
        }
        Decision d = decide_for(&it->second);
        auto [pos, fresh] = per_mailbox.emplace(mb, d);
        if (!fresh && d.what < pos->second.what) pos->second = d;
      }
      if (policy.greylist && greylist_ && !allowed_everywhere) greylisted.push_back(rcpt);
    }
    if (!accepted) {
      if (refused->what == Disposition::kDefer)
        return Error(Errc::kTemporary, refused->why, "policy");
      return Error(Errc::kForbidden, refused->why, "policy");
    }
    if (greylisted.empty()) return {};
    GreylistRequest r{env.sender.client_ip, env.sender.address, std::move(greylisted),
                      v.verified_domain, v.dnswl};
    auto o = PH_TRY(greylist_->check(*s.greylist, r, base::unix_now()));
    spdlog::info("greylisting [{}] <{}>: {}", r.client_ip, r.sender, o.why);
    if (o.defer) return Error(Errc::kTemporary, o.why, "policy");
    return {};
  }));
  Routing out;
  for (const auto& [mb, d] : per_mailbox) {
    switch (d.what) {
      case Disposition::kDeliver: break;
      case Disposition::kJunk:
      case Disposition::kDefer: out.junk.insert(mb); break;
      case Disposition::kQuarantine:
      case Disposition::kRefuse: out.quarantine[mb] = d.why; break;
    }
  }
  return out;
}

std::set<int64_t> LocalGateway::hold(const Envelope& env, const MessageSource& message,
                                     const std::string& return_path, Routing& routing,
                                     int64_t now) {
  HoldRequest r;
  r.sender = env.sender.address;
  r.score = env.verdict && env.verdict->action ? env.verdict->score : 0;
  std::set<int64_t> held;
  for (const auto& [mb, reason] : routing.quarantine) {
    r.mailboxes.emplace_back(mb, reason);
    held.insert(mb);
  }
  auto raw = message.read(return_path);
  base::Status st = raw ? quarantine_->hold(r, *raw, now) : base::Status(std::move(raw).error());
  if (st) return held;
  // Nothing is dropped: what the quarantine cannot keep goes to Junk.
  spdlog::error("quarantine: cannot hold mail from <{}> ({}); it goes to Junk",
                env.sender.address, st.error().message);
  for (int64_t mb : held) routing.junk.insert(mb);
  return {};
}

}  // namespace posthouse::delivery
