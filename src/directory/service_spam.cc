// directory::Service: spam settings (the domain's policy, a mailbox's own settings) and who
// may handle a mailbox's quarantine.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "base/strings.h"
#include "directory/address.h"
#include "directory/json.h"
#include "directory/service.h"
#include "directory/service_internal.h"

namespace posthouse::directory {

using base::Errc;
using base::Error;
using nlohmann::json;

namespace {

constexpr double kMaxScore = 10000;

// Sender entries: an address, or a domain with or without a leading '@'; lower case, no
// duplicates, at most kMaxSpamListEntries.
base::Result<std::vector<std::string>> normalize_senders(const std::vector<std::string>& in,
                                                         const char* field) {
  if (in.size() > kMaxSpamListEntries)
    return Error(Errc::kInvalid, fmt::format("at most {} {} entries", kMaxSpamListEntries, field),
                 field);
  std::vector<std::string> out;
  for (const auto& entry : in) {
    std::string_view e = base::trim(entry);
    if (e.empty()) return Error(Errc::kInvalid, fmt::format("an empty {} entry", field), field);
    std::string norm;
    if (e.find('@') != std::string_view::npos && e.front() != '@') {
      norm = PH_TRY(parse_address(e, field)).str();
    } else {
      norm = PH_TRY(normalize_domain(e.front() == '@' ? e.substr(1) : e, field));
    }
    if (std::find(out.begin(), out.end(), norm) == out.end()) out.push_back(norm);
  }
  return out;
}

struct Scores {
  const std::optional<double>& reject;
  const std::optional<double>& quarantine;
  const std::optional<double>& junk;
};

base::Status check_scores(const Scores& s) {
  const std::pair<const char*, const std::optional<double>*> all[] = {
      {"junk_score", &s.junk}, {"quarantine_score", &s.quarantine}, {"reject_score", &s.reject}};
  const char* lower_name = nullptr;
  std::optional<double> lower;
  for (const auto& [name, v] : all) {
    if (!*v) continue;
    if (!std::isfinite(**v) || std::fabs(**v) > kMaxScore)
      return Error(Errc::kInvalid, fmt::format("{} must be a number from -10000 to 10000", name),
                   name);
    if (lower && **v <= *lower)
      return Error(Errc::kInvalid, fmt::format("{} must be above {}", name, lower_name), name);
    lower = **v;
    lower_name = name;
  }
  return {};
}

// A user's threshold may be at most the domain's (a lower score is stricter).
base::Status check_tighter(const char* name, const std::optional<double>& user,
                           const std::optional<double>& domain) {
  if (user && domain && *user > *domain)
    return Error(Errc::kInvalid,
                 fmt::format("{} may only be tightened: at most the domain's {}", name, *domain),
                 name);
  return {};
}

}  // namespace

base::Result<Domain> Service::set_spam_policy(const Actor& a, std::string_view ref,
                                             SpamPolicy p) {
  p.block = PH_TRY(normalize_senders(p.block, "block"));
  p.allow = PH_TRY(normalize_senders(p.allow, "allow"));
  PH_CHECK(check_scores({p.reject_score, p.quarantine_score, p.junk_score}));
  if (p.virus_action != "" && p.virus_action != "reject" && p.virus_action != "quarantine")
    return Error(Errc::kInvalid, "virus_action must be reject or quarantine", "virus_action");
  return edit_domain(a, ref, Verb::kSpamPolicy, "", [&](Domain& d) -> base::Status {
    d.spam = p;
    return {};
  });
}

base::Result<UserSpamSettings> Service::get_user_spam(const Actor& a, std::string_view ref) {
  auto m = PH_TRY(load_mailbox(a, ref, Verb::kSpamSettings));
  return model::user_spam_of_settings(m.settings_json);
}

base::Result<UserSpamSettings> Service::set_user_spam(const Actor& a, std::string_view ref,
                                                      UserSpamSettings u) {
  u.block = PH_TRY(normalize_senders(u.block, "block"));
  u.allow = PH_TRY(normalize_senders(u.allow, "allow"));
  PH_CHECK(check_scores({u.reject_score, u.quarantine_score, u.junk_score}));
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    auto m = PH_TRY(load_mailbox(a, ref, Verb::kSpamSettings));
    if (is_deleted(m.status)) return Error(Errc::kConflict, "mailbox is deleted; restore it first");
    auto d = PH_TRY(store_.get_domain(m.domain_id));
    PH_CHECK(check_tighter("reject_score", u.reject_score, d.spam.reject_score));
    PH_CHECK(check_tighter("quarantine_score", u.quarantine_score, d.spam.quarantine_score));
    PH_CHECK(check_tighter("junk_score", u.junk_score, d.spam.junk_score));
    auto j = parse_or_empty(m.settings_json);
    if (!j.is_object()) j = json::object();
    json before = j.value("spam", json::object());
    json after = to_json(u);
    j["spam"] = after;
    m.settings_json = j.dump();
    m.updated_at = now();
    PH_CHECK(store_.update_mailbox(m));
    return audit(a, Verb::kSpamSettings, "mailbox:" + m.address, d.customer_id, d.id, m.id,
                 before, after);
  }));
  return u;
}

base::Result<Mailbox> Service::quarantine_mailbox(const Actor& a, std::string_view ref) {
  return load_mailbox(a, ref, Verb::kQuarantineRelease);
}

base::Result<Domain> Service::quarantine_domain(const Actor& a, std::string_view ref) {
  return load_domain(a, ref, Verb::kQuarantineRelease);
}

base::Status Service::check_held(const Actor& a, const store::HeldMessage& m) {
  auto d = store_.get_domain(m.domain_id);
  if (!d) {
    if (d.error().code == Errc::kNotFound) return not_found("held message");
    return std::move(d).error();
  }
  return authorize(a, Verb::kQuarantineRelease,
                   Target::mailbox(d->customer_id, d->id, m.mailbox_id), "held message");
}

base::Status Service::audit_held(const Actor& a, std::string_view action,
                                 const store::HeldMessage& m) {
  auto d = PH_TRY(store_.get_domain(m.domain_id));
  json what = {{"id", m.id},          {"sender", m.sender}, {"subject", m.subject},
               {"reason", m.reason},  {"held_at", m.held_at}};
  return audit_custom(a, action, "mailbox:" + m.recipient, d.customer_id, d.id, m.mailbox_id,
                      what, nullptr);
}

}  // namespace posthouse::directory
