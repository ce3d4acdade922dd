// The directory's names for the persisted records of src/model/directory.h. The records live
// below both the directory and the store (the store persists them, the directory decides on
// them), so neither includes the other's headers for them; this header only brings the names
// into posthouse::directory, where the policy and the service use them unqualified.
#pragma once

#include "model/directory.h"

namespace posthouse::directory {

using model::Alias;
using model::ApiToken;
using model::AuditRecord;
using model::Branding;
using model::Customer;
using model::Delegation;
using model::delegable;
using model::Domain;
using model::DomainAlias;
using model::Id;
using model::kVerbCount;
using model::Limits;
using model::Mailbox;
using model::ManagerKind;
using model::Principal;
using model::principal_kind_name;
using model::PrincipalKind;
using model::Role;
using model::role_name;
using model::Services;
using model::SpamPolicy;
using model::UserSpamSettings;
using model::kMaxSpamListEntries;
using model::Template;
using model::TemplateSettings;
using model::Time;
using model::TokenScope;
using model::Usage;
using model::Verb;
using model::verb_from_name;
using model::verb_name;

}  // namespace posthouse::directory
