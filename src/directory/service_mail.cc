// directory::Service: what the mail side asks without an actor: recipient resolution
// (domain aliases, subaddresses, aliases, forwards, postmaster, catch-all), local domains
// and the envelope senders a mailbox may use.
#include <fmt/format.h>

#include "directory/address.h"
#include "directory/service.h"
#include "directory/service_internal.h"

namespace posthouse::directory {

using base::Errc;
using base::Error;

base::Result<bool> Service::is_local_domain(std::string_view domain) {
  return PH_TRY(local_domain_id(domain)) != 0;
}

base::Result<Id> Service::local_domain_id(std::string_view domain) {
  auto name = normalize_domain(domain);
  if (!name.ok()) return Id{0};
  if (auto d = PH_TRY(store_.find_domain(*name))) return is_deleted(d->status) ? 0 : d->id;
  if (auto da = PH_TRY(store_.find_domain_alias(*name))) {
    auto d = PH_TRY(store_.get_domain(da->domain_id));
    return is_deleted(d.status) ? 0 : d.id;
  }
  return Id{0};
}

base::Result<SpamPolicy> Service::spam_policy_of(std::string_view domain) {
  Id id = PH_TRY(local_domain_id(domain));
  if (id == 0) return SpamPolicy{};
  return PH_TRY(store_.get_domain(id)).spam;
}

base::Status Service::resolve_into(std::string_view address, int depth,
                                   std::vector<std::string>* seen, Resolution* out,
                                   bool allow_catchall) {
  auto parsed = parse_address(address);
  if (!parsed.ok()) return {};
  Address addr = *parsed;
  // Domain aliases rewrite the domain part.
  std::optional<Domain> d = PH_TRY(store_.find_domain(addr.domain));
  if (!d) {
    if (auto da = PH_TRY(store_.find_domain_alias(addr.domain))) {
      d = PH_TRY(store_.get_domain(da->domain_id));
      addr.domain = d->name;
    }
  }
  std::string key = addr.str();
  if (!d || is_deleted(d->status)) {
    if (depth > 0 && !contains(out->external, key)) out->external.push_back(key);
    return {};
  }
  // Loops and runaway chains are cut: each address expands at most once per resolution.
  if (contains(*seen, key) || depth > opts_.max_resolve_depth) return {};
  seen->push_back(key);
  auto add_local = [&](Id id) {
    if (!contains(out->mailboxes, id)) out->mailboxes.push_back(id);
  };
  auto m = PH_TRY(store_.find_mailbox(key));
  if (!m && addr.local.find('+') != std::string::npos) {  // subaddressing: user+tag@
    m = PH_TRY(store_.find_mailbox(addr.local.substr(0, addr.local.find('+')) + "@" + d->name));
  }
  if (m) {
    if (m->status != "active") return {};
    bool forwarding = m->services.forwarding && !m->forward_to.empty();
    if (!forwarding || m->forward_keep_copy) add_local(m->id);
    if (forwarding) {
      for (const auto& t : m->forward_to) PH_CHECK(resolve_into(t, depth + 1, seen, out, true));
    }
    return {};
  }
  if (auto al = PH_TRY(store_.find_alias(key))) {
    for (const auto& t : al->targets) PH_CHECK(resolve_into(t, depth + 1, seen, out, true));
    return {};
  }
  if (addr.local == "postmaster") {
    // RFC 5321 requires postmaster@ to work: without an alias it reaches the customer.
    for (auto& p : PH_TRY(store_.list_principals(d->customer_id))) {
      if (p.kind == PrincipalKind::kCustomer)
        PH_CHECK(resolve_into(p.login, depth + 1, seen, out, false));
    }
    return {};
  }
  if (allow_catchall && d->catchall)
    PH_CHECK(resolve_into(*d->catchall, depth + 1, seen, out, false));
  return {};
}

base::Result<Resolution> Service::resolve_recipient(std::string_view address) {
  auto addr = PH_TRY(parse_address(address, "recipient"));
  if (!PH_TRY(is_local_domain(addr.domain)))
    return Error(Errc::kNotFound, "domain is not local", "recipient");
  Resolution r;
  std::vector<std::string> seen;
  PH_CHECK(resolve_into(addr.str(), 0, &seen, &r, true));
  if (r.mailboxes.empty() && r.external.empty())
    return Error(Errc::kNotFound, "no such recipient", "recipient");
  return r;
}

base::Result<bool> Service::may_send_as(Id mailbox_id, std::string_view address) {
  auto parsed = parse_address(address, "sender");
  if (!parsed.ok()) return false;
  auto m = PH_TRY(store_.get_mailbox(mailbox_id));
  if (m.status != "active") return false;
  if (parsed->str() == m.address) return true;
  Resolution r;
  std::vector<std::string> seen;
  PH_CHECK(resolve_into(parsed->str(), 0, &seen, &r, /*allow_catchall=*/false));
  return contains(r.mailboxes, mailbox_id);
}

}  // namespace posthouse::directory
