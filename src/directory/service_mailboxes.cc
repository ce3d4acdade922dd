// directory::Service: mailboxes (create from a template, edit, password, move,
// delete/restore/purge).
#include <fmt/format.h>

#include "directory/address.h"
#include "directory/json.h"
#include "directory/service.h"
#include "directory/service_internal.h"

namespace posthouse::directory {

using base::Errc;
using base::Error;
using nlohmann::json;

// ---------------------------------------------------------------- mailboxes

base::Result<Mailbox> Service::create_mailbox(const Actor& a, const MailboxSpec& s) {
  auto addr = PH_TRY(parse_address(s.address, "address"));
  PH_CHECK(check_text(s.display_name, kMaxName, "display_name"));
  if (s.template_name.empty())
    return Error(Errc::kInvalid, "a mailbox is created from a template (--template)", "template");
  std::optional<std::string> hash;
  if (s.password) hash = PH_TRY(hash_new_password(*s.password));
  Mailbox m;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    auto d = PH_TRY(load_domain(a, addr.domain, Verb::kDomainRead));
    auto t = PH_TRY(find_template_for(d.customer_id, s.template_name));
    Target target = Target::domain(d.customer_id, d.id);
    target.template_id = t.id;
    PH_CHECK(authorize(a, Verb::kMailboxCreate, target, fmt::format("domain '{}'", d.name)));
    if (is_deleted(d.status))
      return Error(Errc::kConflict, fmt::format("domain '{}' is deleted", d.name), "address");
    if (addr.local == "postmaster")
      return Error(Errc::kConflict,
                   "postmaster@ is the domain's administrator login; use an alias to route "
                   "its mail",
                   "address");
    PH_CHECK(check_address_free(addr.str()));
    int64_t quota = s.quota_bytes.value_or(t.settings.quota_bytes);
    PH_CHECK(check_mailbox_slot(d, quota, 0, true));
    m.address = addr.str();
    m.domain_id = d.id;
    m.display_name = s.display_name;
    m.password_hash = hash.value_or(std::string(auth::kDisabledHash));
    m.quota_bytes = quota;
    m.services = t.settings.services;
    m.settings_json = json{{"folders", t.settings.folders},
                           {"language", t.settings.language},
                           {"autoresponder_text", t.settings.autoresponder_text}}
                          .dump();
    m.template_id = t.id;
    m.template_version = t.version;
    m.created_at = m.updated_at = now();
    m.id = PH_TRY(store_.insert_mailbox(m));
    return audit(a, Verb::kMailboxCreate, "mailbox:" + m.address, d.customer_id, d.id, m.id,
                 json(nullptr), to_json(m));
  }));
  return m;
}

base::Result<Mailbox> Service::get_mailbox(const Actor& a, std::string_view ref) {
  return load_mailbox(a, ref, Verb::kMailboxRead);
}

base::Result<std::vector<Mailbox>> Service::list_mailboxes(const Actor& a,
                                                           std::string_view domain) {
  auto d = PH_TRY(load_domain(a, domain, Verb::kDomainRead));
  std::vector<Mailbox> out;
  for (auto& m : PH_TRY(store_.list_mailboxes(d.id))) {
    if (policy_.allows(a, Verb::kMailboxRead, Target::mailbox(d.customer_id, d.id, m.id)))
      out.push_back(m);
  }
  return out;
}

base::Result<Mailbox> Service::edit_mailbox(const Actor& a, std::string_view ref,
                                            const MailboxEdit& e) {
  if (e.display_name) PH_CHECK(check_text(*e.display_name, kMaxName, "display_name"));
  if (e.status && *e.status != "active" && *e.status != "disabled")
    return Error(Errc::kInvalid, "status must be active or disabled", "status");
  Mailbox m;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    m = PH_TRY(load_mailbox(a, ref, Verb::kMailboxEdit));
    if (is_deleted(m.status)) return Error(Errc::kConflict, "mailbox is deleted; restore it first");
    auto d = PH_TRY(store_.get_domain(m.domain_id));
    json before = to_json(m);
    if (e.quota_bytes) {
      PH_CHECK(check_mailbox_slot(d, *e.quota_bytes, m.quota_bytes, false));
      m.quota_bytes = *e.quota_bytes;
    }
    if (e.display_name) m.display_name = *e.display_name;
    if (e.status) {
      m.status = *e.status;
      forget_credentials(m.id);
    }
    if (e.services) {
      PH_CHECK(check_services_grant(a, m, d, *e.services));
      m.services = *e.services;
    }
    m.updated_at = now();
    PH_CHECK(store_.update_mailbox(m));
    return audit(a, Verb::kMailboxEdit, "mailbox:" + m.address, d.customer_id, d.id, m.id, before,
                 to_json(m));
  }));
  return m;
}

// The template is the privilege profile: switching a service on beyond what the mailbox's
// template grants needs the right to edit templates (customer level); switching off is free.
base::Status Service::check_services_grant(const Actor& a, const Mailbox& m, const Domain& d,
                                           const Services& want) {
  if (policy_.allows(a, Verb::kTemplateEdit, Target::customer(d.customer_id))) return {};
  Services granted;
  if (m.template_id) {
    auto t = store_.get_template_version(m.template_id, m.template_version);
    granted = t.ok() ? t->services : Services{false, false, false, false, false, false, false};
  }
  const Services& cur = m.services;
  struct Flag {
    const char* name;
    bool Services::*f;
  };
  for (auto [name, f] :
       {Flag{"imap", &Services::imap}, Flag{"pop3", &Services::pop3}, Flag{"smtp", &Services::smtp},
        Flag{"webmail", &Services::webmail}, Flag{"forwarding", &Services::forwarding},
        Flag{"autoresponder", &Services::autoresponder}, Flag{"tokens", &Services::tokens}}) {
    if (want.*f && !(cur.*f) && !(granted.*f))
      return Error(Errc::kForbidden,
                   fmt::format("{} is not granted by this mailbox's template", name), "services");
  }
  return {};
}

base::Status Service::set_mailbox_password(const Actor& a, std::string_view ref,
                                           std::string_view password) {
  // Authorise before paying for the hash, and again inside the transaction.
  PH_TRY(load_mailbox(a, ref, Verb::kMailboxPassword));
  auto hash = PH_TRY(hash_new_password(password));
  return store_.in_transaction([&]() -> base::Status {
    auto m = PH_TRY(load_mailbox(a, ref, Verb::kMailboxPassword));
    if (is_deleted(m.status)) return Error(Errc::kConflict, "mailbox is deleted; restore it first");
    auto d = PH_TRY(store_.get_domain(m.domain_id));
    m.password_hash = hash;
    m.updated_at = now();
    PH_CHECK(store_.update_mailbox(m));
    forget_credentials(m.id);
    return audit(a, Verb::kMailboxPassword, "mailbox:" + m.address, d.customer_id, d.id, m.id,
                 {{"password", "old"}}, {{"password", "new"}});
  });
}

base::Result<Mailbox> Service::move_mailbox(const Actor& a, std::string_view ref,
                                            std::string_view new_address) {
  auto addr = PH_TRY(parse_address(new_address, "address"));
  Mailbox m;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    m = PH_TRY(load_mailbox(a, ref, Verb::kMailboxEdit));
    if (is_deleted(m.status)) return Error(Errc::kConflict, "mailbox is deleted; restore it first");
    auto from = PH_TRY(store_.get_domain(m.domain_id));
    // The state after the change must be allowed too: rights on the destination domain.
    auto to = PH_TRY(load_domain(a, addr.domain, Verb::kDomainRead));
    Target target = Target::domain(to.customer_id, to.id);
    target.template_id = m.template_id;
    PH_CHECK(authorize(a, Verb::kMailboxCreate, target, fmt::format("domain '{}'", to.name)));
    if (is_deleted(to.status))
      return Error(Errc::kConflict, fmt::format("domain '{}' is deleted", to.name), "address");
    if (addr.local == "postmaster")
      return Error(Errc::kConflict, "postmaster@ is reserved", "address");
    PH_CHECK(check_address_free(addr.str()));
    if (to.id != from.id) PH_CHECK(check_mailbox_slot(to, m.quota_bytes, 0, true));
    json before = to_json(m);
    m.address = addr.str();
    m.domain_id = to.id;
    m.updated_at = now();
    PH_CHECK(store_.update_mailbox(m));
    return audit_custom(a, "mailbox.move", "mailbox:" + m.address, to.customer_id, to.id, m.id,
                        before, to_json(m));
  }));
  return m;
}

base::Status Service::delete_mailbox(const Actor& a, std::string_view ref) {
  return store_.in_transaction([&]() -> base::Status {
    auto m = PH_TRY(load_mailbox(a, ref, Verb::kMailboxDelete));
    if (is_deleted(m.status))
      return Error(Errc::kConflict, fmt::format("mailbox '{}' is already deleted", m.address));
    auto d = PH_TRY(store_.get_domain(m.domain_id));
    json before = to_json(m);
    m.status = "deleted";
    forget_credentials(m.id);
    m.deleted_at = now();
    m.deleted_with_domain = false;
    m.updated_at = now();
    PH_CHECK(store_.update_mailbox(m));
    return audit(a, Verb::kMailboxDelete, "mailbox:" + m.address, d.customer_id, d.id, m.id, before,
                 to_json(m));
  });
}

base::Status Service::restore_mailbox(const Actor& a, std::string_view ref) {
  return store_.in_transaction([&]() -> base::Status {
    auto m = PH_TRY(load_mailbox(a, ref, Verb::kMailboxRestore));
    if (!is_deleted(m.status))
      return Error(Errc::kConflict, fmt::format("mailbox '{}' is not deleted", m.address));
    auto d = PH_TRY(store_.get_domain(m.domain_id));
    if (is_deleted(d.status))
      return Error(Errc::kConflict, fmt::format("domain '{}' is deleted; restore it", d.name));
    PH_CHECK(check_mailbox_slot(d, m.quota_bytes, 0, true));
    json before = to_json(m);
    m.status = "active";
    m.deleted_at.reset();
    m.updated_at = now();
    PH_CHECK(store_.update_mailbox(m));
    return audit(a, Verb::kMailboxRestore, "mailbox:" + m.address, d.customer_id, d.id, m.id,
                 before, to_json(m));
  });
}

base::Status Service::purge_mailbox_row(const Mailbox& m) {
  if (opts_.on_mailbox_purged) PH_CHECK(opts_.on_mailbox_purged(m.id));
  return store_.delete_mailbox(m.id);
}

base::Status Service::purge_mailbox(const Actor& a, std::string_view ref) {
  return store_.in_transaction([&]() -> base::Status {
    auto m = PH_TRY(load_mailbox(a, ref, Verb::kMailboxPurge));
    if (!is_deleted(m.status))
      return Error(Errc::kConflict,
                   fmt::format("mailbox '{}' must be deleted before it is purged", m.address));
    auto d = PH_TRY(store_.get_domain(m.domain_id));
    PH_CHECK(purge_mailbox_row(m));
    return audit(a, Verb::kMailboxPurge, "mailbox:" + m.address, d.customer_id, d.id, m.id,
                 to_json(m), json(nullptr));
  });
}

}  // namespace posthouse::directory
