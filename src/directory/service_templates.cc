// directory::Service: mailbox templates (versioned) of a customer or of the platform.
#include <fmt/format.h>

#include "base/strings.h"
#include "directory/address.h"
#include "directory/json.h"
#include "directory/service.h"
#include "directory/service_internal.h"

namespace posthouse::directory {

using base::Errc;
using base::Error;
using nlohmann::json;
using K = Target::Kind;

namespace {

base::Status check_template(std::string_view name, const TemplateSettings& s) {
  PH_CHECK(check_text(name, kMaxName, "name"));
  if (base::trim(name).empty() || name.front() == '#')
    return Error(Errc::kInvalid, "template name must not be empty or start with '#'", "name");
  if (s.quota_bytes <= 0 || s.quota_bytes > kMaxBytes)
    return Error(Errc::kInvalid, "quota must be a positive number of bytes", "quota");
  if (s.folders.size() > 50) return Error(Errc::kTooLarge, "too many folders", "folders");
  for (const auto& f : s.folders) PH_CHECK(check_text(f, 200, "folders"));
  PH_CHECK(check_text(s.language, 16, "language"));
  if (s.autoresponder_text.size() > 64 * 1024)
    return Error(Errc::kTooLarge, "autoresponder text is too long", "autoresponder_text");
  return {};
}

}  // namespace

base::Result<Template> Service::create_template(const Actor& a, std::string_view customer,
                                                std::string_view name, const TemplateSettings& s) {
  PH_CHECK(check_template(name, s));
  Template t;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    // "-", or no customer for an actor without one (the platform admin): platform-wide.
    Id cid = 0;
    if (customer == "-" || (customer.empty() && a.customer_id == 0)) {
      PH_CHECK(authorize(a, Verb::kPlatformTemplate, Target::platform(), "platform"));
    } else {
      cid = PH_TRY(customer_for(a, customer, Verb::kTemplateEdit));
    }
    if (PH_TRY(store_.find_template(cid, name)))
      return Error(Errc::kConflict, fmt::format("template '{}' already exists", name), "name");
    t.customer_id = cid;
    t.name = std::string(name);
    t.settings = s;
    t.version = 1;
    t.id = PH_TRY(store_.insert_template(t));
    return audit(a, Verb::kTemplateEdit, "template:" + t.name, cid, 0, 0, json(nullptr),
                 to_json(t));
  }));
  return t;
}

base::Result<Template> Service::edit_template(const Actor& a, std::string_view customer,
                                              std::string_view name, const TemplateSettings& s) {
  PH_CHECK(check_template(name, s));
  Template t;
  PH_CHECK(store_.in_transaction([&]() -> base::Status {
    // The template's own target decides below; the customer only narrows the name lookup.
    Id cid = 0;
    if (customer.empty())
      cid = a.customer_id;
    else if (customer != "-")
      cid = PH_TRY(customer_for(a, customer, Verb::kCustomerRead));
    auto found = PH_TRY(store_.find_template(cid, name));
    std::string what = fmt::format("template '{}'", name);
    if (!found) return not_found(what);
    Target target = Target::of(K::kTemplate, found->id, found->customer_id);
    PH_CHECK(authorize(a, Verb::kTemplateEdit, target, what));
    json before = to_json(*found);
    t = *found;
    t.settings = s;
    t.version = PH_TRY(store_.add_template_version(t.id, s));
    return audit(a, Verb::kTemplateEdit, "template:" + t.name, cid, 0, 0, before, to_json(t));
  }));
  return t;
}

base::Result<std::vector<Template>> Service::list_templates(const Actor& a,
                                                            std::string_view customer) {
  Id cid = a.customer_id;
  if (!customer.empty() && customer != "-")
    cid = PH_TRY(customer_for(a, customer, Verb::kCustomerRead));
  std::vector<Template> out;
  for (auto& t : PH_TRY(store_.list_templates(cid))) {
    if (policy_.allows(a, Verb::kTemplateRead, Target::of(K::kTemplate, t.id, t.customer_id)))
      out.push_back(t);
  }
  return out;
}

// ---------------------------------------------------------------- template versions

base::Result<TemplateSettings> Service::get_template_version(const Actor& a,
                                                             std::string_view customer,
                                                             std::string_view name,
                                                             int64_t version) {
  for (const auto& t : PH_TRY(list_templates(a, customer))) {
    if (t.name != name) continue;
    if (version < 1 || version > t.version)
      return Error(Errc::kNotFound,
                   fmt::format("template '{}' version {} not found", name, version));
    return store_.get_template_version(t.id, version);
  }
  return Error(Errc::kNotFound, fmt::format("template '{}' not found", name));
}

}  // namespace posthouse::directory
