// Mailbox views and bodies shared by the mailbox routes and the self-service (/me) routes
// (internal to src/server/http/api/).
#pragma once

#include <string>

#include "server/http/api/common.h"

namespace posthouse::http::api {

// One mailbox as its settings plus "usage": quota, used bytes and messages (0 before the first
// message is stored; null without a message store).
base::Result<json> mailbox_view(Ctx& c, const std::string& ref);

// PUT …/forward: {"targets" (required), "keep_copy" (default true)}; answers the mailbox.
base::Result<json> forward_body(Ctx& c, const std::string& ref);
const Fields& forward_fields();

json autoresponder_json(const d::Autoresponder& r);
// PUT …/autoresponder (with whole_body): "enabled" is required; subject and body default to "".
base::Result<d::Autoresponder> read_autoresponder(JsonBody& b);
const Fields& autoresponder_fields();

}  // namespace posthouse::http::api
