// JSON forms of the model (nlohmann/json): used for stored settings columns, audit diffs and
// the CLI's --json output. The field names here are the stable, documented JSON interface
// (src/directory/README.md). Secrets (password hashes) are never written by these functions.
#pragma once

#include <nlohmann/json.hpp>

#include "model/directory.h"

namespace posthouse::model {

nlohmann::json to_json(const Limits& l);
Limits limits_from_json(const nlohmann::json& j);
nlohmann::json to_json(const Branding& b);
Branding branding_from_json(const nlohmann::json& j);
nlohmann::json to_json(const Services& s);
Services services_from_json(const nlohmann::json& j);
nlohmann::json to_json(const TemplateSettings& s);
TemplateSettings template_settings_from_json(const nlohmann::json& j);
nlohmann::json to_json(const SpamPolicy& p);
SpamPolicy spam_policy_from_json(const nlohmann::json& j);
// A mailbox's own spam settings, kept as "spam" in its settings JSON.
nlohmann::json to_json(const UserSpamSettings& u);
UserSpamSettings user_spam_from_json(const nlohmann::json& j);
// The "spam" settings of a mailbox's settings JSON; the defaults when absent or unreadable.
UserSpamSettings user_spam_of_settings(const std::string& settings_json);
nlohmann::json to_json(const Customer& c);
nlohmann::json to_json(const Principal& p);
nlohmann::json to_json(const Domain& d);
nlohmann::json to_json(const Mailbox& m);
nlohmann::json to_json(const Alias& a);
nlohmann::json to_json(const Template& t);
nlohmann::json to_json(const Delegation& d);
nlohmann::json to_json(const AuditRecord& r);
nlohmann::json to_json(const Usage& u);

// Parses stored JSON text; malformed text (never written by us) yields an empty object.
nlohmann::json parse_or_empty(const std::string& text);

}  // namespace posthouse::model
