// The REST API's route table, one contributing function per resource file (internal to
// src/server/http/api/). api.cc concatenates them in this order into the one table the router
// is built from and the OpenAPI document is generated from; the order only decides which of two
// patterns that match the same path wins, and no two patterns here do.
//
// To add a resource: write api/<noun>.cc defining `std::vector<Entry> <noun>_routes()`, declare
// it below and list it in api.cc's table().
#pragma once

#include <vector>

#include "server/http/api/common.h"

namespace posthouse::http::api {

std::vector<Entry> session_routes();     // session.cc: log in, log out
std::vector<Entry> openapi_routes();     // openapi.cc: the OpenAPI document
std::vector<Entry> me_routes();          // me.cc: the acting login's own settings
std::vector<Entry> customer_routes();    // customers.cc
std::vector<Entry> platform_routes();    // platform.cc: platform limits
std::vector<Entry> manager_routes();     // managers.cc
std::vector<Entry> domain_routes();      // domains.cc: domains, domain aliases, DNS records
std::vector<Entry> mailbox_routes();     // mailboxes.cc
std::vector<Entry> alias_routes();       // aliases.cc: aliases and forwards
std::vector<Entry> deleted_routes();     // deleted.cc: restorable domains and mailboxes
std::vector<Entry> template_routes();    // templates.cc
std::vector<Entry> delegation_routes();  // delegations.cc
std::vector<Entry> token_routes();       // tokens.cc
std::vector<Entry> queue_routes();       // queue.cc: the outbound queue
std::vector<Entry> audit_routes();       // audit.cc
std::vector<Entry> spam_routes();        // spam.cc: spam policy and settings, the quarantine

}  // namespace posthouse::http::api
