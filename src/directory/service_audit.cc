// directory::Service: the audit log (appending records, listing them by scope) and the
// retention of deleted objects (purge_expired).
#include <fmt/format.h>

#include <algorithm>

#include "directory/json.h"
#include "directory/service.h"
#include "directory/service_internal.h"

namespace posthouse::directory {

using nlohmann::json;
using K = Target::Kind;

namespace {

constexpr std::string_view kRedacted = "[redacted]";

// Audit diffs keep only changed fields; anything secret-looking is replaced.
void redact(json& j) {
  if (!j.is_object()) return;
  for (auto& [k, v] : j.items()) {
    if (k.find("password") != std::string::npos || k.find("secret") != std::string::npos ||
        k.find("hash") != std::string::npos || k == "token") {
      if (k != "has_password") v = kRedacted;
    } else {
      redact(v);
    }
  }
}

void diff(const json& before, const json& after, json* b, json* a) {
  if (!before.is_object() || !after.is_object()) {
    *b = before;
    *a = after;
    return;
  }
  *b = json::object();
  *a = json::object();
  for (auto& [k, v] : before.items()) {
    if (!after.contains(k) || after[k] != v) (*b)[k] = v;
  }
  for (auto& [k, v] : after.items()) {
    if (!before.contains(k) || before[k] != v) (*a)[k] = v;
  }
}

}  // namespace

base::Status Service::audit_custom(const Actor& a, std::string_view verb, std::string target,
                                   Id customer, Id domain, Id mailbox, const json& before,
                                   const json& after) {
  AuditRecord r;
  r.at = now();
  r.actor = a.login;
  r.actor_kind = std::string(role_name(a.role));
  r.token_id = a.token_id;
  r.source = a.source;
  r.ip = a.ip;
  r.verb = std::string(verb);
  r.target = std::move(target);
  if (customer) r.customer_id = customer;
  if (domain) r.domain_id = domain;
  if (mailbox) r.mailbox_id = mailbox;
  json b, af;
  diff(before, after, &b, &af);
  redact(b);
  redact(af);
  if (!b.is_null()) r.before = b.dump();
  if (!af.is_null()) r.after = af.dump();
  return store_.append_audit(r);
}

base::Status Service::audit(const Actor& a, Verb v, std::string target, Id customer, Id domain,
                            Id mailbox, const json& before, const json& after) {
  return audit_custom(a, verb_name(v), std::move(target), customer, domain, mailbox, before, after);
}

// ---------------------------------------------------------------- audit

base::Result<std::vector<AuditRecord>> Service::list_audit(const Actor& a, int limit,
                                                           Id before_id) {
  limit = std::clamp(limit, 1, 1000);
  // Read from the actor's customer (the platform admin has none: every customer's); the
  // policy decides on each record.
  Id cid = a.customer_id;
  std::vector<AuditRecord> out;
  // Filtered in pages so a narrow scope still fills `limit` from a busy customer's log.
  while (static_cast<int>(out.size()) < limit) {
    auto page = PH_TRY(store_.list_audit(cid, before_id, 500));
    if (page.empty()) break;
    for (auto& r : page) {
      Target t = Target::of(K::kAudit, r.id, r.customer_id.value_or(0), r.domain_id.value_or(0));
      if (policy_.allows(a, Verb::kAuditRead, t) && static_cast<int>(out.size()) < limit)
        out.push_back(r);
    }
    before_id = page.back().id;
  }
  return out;
}

// ---------------------------------------------------------------- maintenance

base::Result<int> Service::purge_expired(const Actor& a) {
  PH_CHECK(authorize(a, Verb::kPlatformPurge, Target::platform(), "platform"));
  return purge_expired();
}

base::Result<int> Service::purge_expired() {
  Actor sys;
  sys.role = Role::kAdmin;
  sys.login = "system";
  sys.source = "system";
  Time cutoff = now() - opts_.retention_days * 86400;
  int n = 0;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    for (Id id : PH_TRY(store_.expired_domains(cutoff))) {
      auto d = PH_TRY(store_.get_domain(id));
      PH_CHECK(purge_domain_rows(d));
      PH_CHECK(audit(sys, Verb::kDomainPurge, "domain:" + d.name, d.customer_id, 0, 0, to_json(d),
                     json(nullptr)));
      ++n;
    }
    for (Id id : PH_TRY(store_.expired_mailboxes(cutoff))) {
      auto m = PH_TRY(store_.get_mailbox(id));
      auto d = PH_TRY(store_.get_domain(m.domain_id));
      PH_CHECK(purge_mailbox_row(m));
      PH_CHECK(audit(sys, Verb::kMailboxPurge, "mailbox:" + m.address, d.customer_id, d.id, m.id,
                     to_json(m), json(nullptr)));
      ++n;
    }
    return {};
  }));
  return n;
}

}  // namespace posthouse::directory
