// The JSON forms of the directory's records (src/model/json.h), by their directory names.
#pragma once

#include "directory/model.h"
#include "model/json.h"

namespace posthouse::directory {

using model::branding_from_json;
using model::limits_from_json;
using model::parse_or_empty;
using model::services_from_json;
using model::template_settings_from_json;
using model::to_json;

}  // namespace posthouse::directory
