// /healthz (JSON: status, version, uptime) and /metrics (Prometheus text: connections per
// listener, bytes in/out, uptime), registered on a Router.
#pragma once

#include <memory>

#include "net/server.h"
#include "server/http/http_server.h"

namespace posthouse::http {

void add_health_routes(Router& router, const net::Server& server);

}  // namespace posthouse::http
