// /healthz (JSON: status, version, uptime) and /metrics (Prometheus text: connections per
// listener, bytes in/out, uptime, SMTP bytes in flight), registered on a Router.
#pragma once

#include <memory>

#include "net/inflight.h"
#include "net/server.h"
#include "server/http/http_server.h"

namespace posthouse::http {

// inflight: the SMTP in-flight budget, shown as posthouse_smtp_inflight_bytes (null: not shown).
// Both must outlive the router.
void add_health_routes(Router& router, const net::Server& server,
                       const net::InflightBudget* inflight = nullptr);

}  // namespace posthouse::http
