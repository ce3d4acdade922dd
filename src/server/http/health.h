// /healthz (JSON: status, version, uptime) and /metrics (Prometheus text: connections per
// listener, bytes in/out, uptime, SMTP bytes in flight, server-wide counters such as the DNS
// lists' temperrors), registered on a Router.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/inflight.h"
#include "net/server.h"
#include "server/http/http_server.h"

namespace posthouse::http {

// A server-wide counter for /metrics, read at each request (thread-safe; what it reads must
// outlive the router).
struct Counter {
  std::string name;
  std::string help;
  std::function<int64_t()> value;
};

// inflight: the SMTP in-flight budget, shown as posthouse_smtp_inflight_bytes (null: not shown).
// Both must outlive the router. counters: shown after them.
void add_health_routes(Router& router, const net::Server& server,
                       const net::InflightBudget* inflight = nullptr,
                       std::vector<Counter> counters = {});

}  // namespace posthouse::http
