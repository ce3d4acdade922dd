// directory::Service: where a mailbox's mail goes besides its inbox: aliases, forwards and
// the autoresponder.
#include <fmt/format.h>

#include <algorithm>

#include "directory/address.h"
#include "directory/json.h"
#include "directory/service.h"
#include "directory/service_internal.h"

namespace posthouse::directory {

using base::Errc;
using base::Error;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxSubject = 200;
constexpr std::size_t kMaxBody = 16 * 1024;

// Body text may hold line breaks; nothing else below 0x20.
base::Status check_body(std::string_view s) {
  if (s.size() > kMaxBody)
    return Error(Errc::kInvalid, fmt::format("body is longer than {} bytes", kMaxBody), "body");
  std::string flat(s);
  std::replace_if(
      flat.begin(), flat.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
  return check_text(flat, kMaxBody, "body");
}

}  // namespace

// ---------------------------------------------------------------- aliases

base::Result<Alias> Service::set_alias(const Actor& a, std::string_view address,
                                       const std::vector<std::string>& targets) {
  auto addr = PH_TRY(parse_address(address, "address"));
  auto list = PH_TRY(parse_targets(targets, opts_.max_alias_targets, "targets"));
  if (list.empty()) return Error(Errc::kInvalid, "an alias needs a target", "targets");
  if (contains(list, addr.str()))
    return Error(Errc::kInvalid, "an alias cannot point to itself", "targets");
  Alias al;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    auto d = PH_TRY(load_domain(a, addr.domain, Verb::kAliasEdit));
    if (is_deleted(d.status))
      return Error(Errc::kConflict, fmt::format("domain '{}' is deleted", d.name), "address");
    json before(nullptr);
    if (auto existing = PH_TRY(store_.find_alias(addr.str()))) {
      al = *existing;
      before = to_json(al);
      al.targets = list;
      PH_CHECK(store_.update_alias(al));
    } else {
      if (auto m = PH_TRY(store_.find_mailbox(addr.str())))
        return Error(Errc::kConflict,
                     fmt::format("address '{}' is a mailbox{}", addr.str(),
                                 is_deleted(m->status) ? " (deleted, reserved until purged)" : ""),
                     "address");
      al = {0, addr.str(), d.id, list};
      al.id = PH_TRY(store_.insert_alias(al));
    }
    return audit(a, Verb::kAliasEdit, "alias:" + al.address, d.customer_id, d.id, 0, before,
                 to_json(al));
  }));
  return al;
}

base::Status Service::delete_alias(const Actor& a, std::string_view address) {
  auto addr = PH_TRY(parse_address(address, "address"));
  return store_.in_transaction([&]() -> base::Status {
    auto d = PH_TRY(load_domain(a, addr.domain, Verb::kAliasEdit));
    auto al = PH_TRY(store_.find_alias(addr.str()));
    if (!al) return not_found(fmt::format("alias '{}'", address));
    PH_CHECK(store_.delete_alias(al->id));
    return audit(a, Verb::kAliasEdit, "alias:" + al->address, d.customer_id, d.id, 0, to_json(*al),
                 json(nullptr));
  });
}

base::Result<std::vector<Alias>> Service::list_aliases(const Actor& a, std::string_view domain) {
  auto d = PH_TRY(load_domain(a, domain, Verb::kAliasRead));
  return store_.list_aliases(d.id);
}

base::Result<Mailbox> Service::set_forward(const Actor& a, std::string_view ref,
                                           const std::vector<std::string>& targets,
                                           bool keep_copy) {
  auto list = PH_TRY(parse_targets(targets, opts_.max_forward_targets, "targets"));
  Mailbox m;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    m = PH_TRY(load_mailbox(a, ref, Verb::kForwardEdit));
    if (!list.empty() && !m.services.forwarding)
      return Error(Errc::kForbidden, "forwarding is not enabled for this mailbox");
    if (contains(list, m.address))
      return Error(Errc::kInvalid, "a mailbox cannot forward to itself", "targets");
    auto d = PH_TRY(store_.get_domain(m.domain_id));
    json before = to_json(m);
    m.forward_to = list;
    m.forward_keep_copy = keep_copy;
    m.updated_at = now();
    PH_CHECK(store_.update_mailbox(m));
    return audit(a, Verb::kForwardEdit, "mailbox:" + m.address, d.customer_id, d.id, m.id, before,
                 to_json(m));
  }));
  return m;
}

// ---------------------------------------------------------------- autoresponder

base::Result<Autoresponder> Service::get_autoresponder(const Actor& a, std::string_view ref) {
  auto m = PH_TRY(get_mailbox(a, ref));
  auto j = parse_or_empty(m.settings_json);
  Autoresponder r;
  if (!j.is_object() || !j.contains("autoresponder") || !j["autoresponder"].is_object()) return r;
  const auto& x = j["autoresponder"];
  r.enabled = x.value("enabled", false);
  r.subject = x.value("subject", std::string());
  r.body = x.value("body", std::string());
  if (x.contains("start") && x["start"].is_number_integer()) r.start = x["start"].get<Time>();
  if (x.contains("end") && x["end"].is_number_integer()) r.end = x["end"].get<Time>();
  return r;
}

base::Result<Autoresponder> Service::set_autoresponder(const Actor& a, std::string_view ref,
                                                       const Autoresponder& r) {
  // The subject becomes a header of the reply: no CR/LF (check_text refuses controls).
  PH_CHECK(check_text(r.subject, kMaxSubject, "subject"));
  PH_CHECK(check_body(r.body));
  if (r.start && r.end && *r.end <= *r.start)
    return Error(Errc::kInvalid, "end must be after start", "end");
  Autoresponder out = r;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    auto m = PH_TRY(load_mailbox(a, ref, Verb::kAutoresponderEdit));
    if (!m.services.autoresponder)
      return Error(Errc::kForbidden,
                   "not allowed: the autoresponder is not enabled for " + m.address);
    auto j = parse_or_empty(m.settings_json);
    if (!j.is_object()) j = json::object();
    json before = j.value("autoresponder", json::object());
    json after = {{"enabled", r.enabled}, {"subject", r.subject}, {"body", r.body}};
    if (r.start) after["start"] = *r.start;
    if (r.end) after["end"] = *r.end;
    j["autoresponder"] = after;
    m.settings_json = j.dump();
    m.updated_at = now();
    PH_CHECK(store_.update_mailbox(m));
    auto d = PH_TRY(store_.get_domain(m.domain_id));
    return audit(a, Verb::kAutoresponderEdit, "mailbox:" + m.address, d.customer_id, d.id, m.id,
                 before, after);
  }));
  return out;
}

}  // namespace posthouse::directory
