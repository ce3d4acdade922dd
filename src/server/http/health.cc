#include "server/http/health.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace posthouse::http {

namespace {
double uptime(const net::Server& s) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - s.started()).count();
}
}  // namespace

void add_health_routes(Router& router, const net::Server& server,
                       const net::InflightBudget* inflight, std::vector<Counter> counters) {
  const net::Server* s = &server;
  auto healthz = [s](Request&) -> boost::asio::awaitable<Response> {
    nlohmann::json j = {{"status", "ok"},
                        {"version", POSTHOUSE_VERSION},
                        {"uptime_seconds", static_cast<int64_t>(uptime(*s))}};
    co_return make_response(bhttp::status::ok, j.dump());
  };
  router.add(bhttp::verb::get, "/healthz", healthz);
  router.add(bhttp::verb::head, "/healthz", healthz);
  auto metrics = [s, inflight,
                  counters = std::move(counters)](Request&) -> boost::asio::awaitable<Response> {
    std::string out;
    out += "# HELP posthouse_uptime_seconds Seconds since the server started.\n";
    out += "# TYPE posthouse_uptime_seconds gauge\n";
    out += fmt::format("posthouse_uptime_seconds {:.3f}\n", uptime(*s));
    struct Metric {
      const char* name;
      const char* type;
      const char* help;
      std::atomic<int64_t> net::ListenerStats::*field;
    };
    static const Metric kMetrics[] = {
        {"posthouse_connections_active", "gauge", "Open connections per listener.",
         &net::ListenerStats::active},
        {"posthouse_connections_total", "counter", "Accepted connections per listener.",
         &net::ListenerStats::accepted},
        {"posthouse_connections_refused_total", "counter",
         "Connections refused by connection limits.", &net::ListenerStats::refused},
        {"posthouse_bytes_received_total", "counter", "Bytes received per listener.",
         &net::ListenerStats::bytes_in},
        {"posthouse_bytes_sent_total", "counter", "Bytes sent per listener.",
         &net::ListenerStats::bytes_out},
        {"posthouse_commands_paced_total", "counter",
         "Commands held back by a per-connection command budget (the client was slowed).",
         &net::ListenerStats::paced},
        {"posthouse_pregreet_refused_total", "counter",
         "SMTP clients refused with 554 for sending before the greeting (MX listener).",
         &net::ListenerStats::pregreet},
        {"posthouse_content_scan_failures_total", "counter",
         "clamd or rspamd calls that failed (down, slow, bad reply) for a message received "
         "(MX listener); with [antispam] fail_open it was delivered without that verdict.",
         &net::ListenerStats::scan_failed},
    };
    for (const auto& m : kMetrics) {
      out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", m.name, m.help, m.name, m.type);
      for (const auto& [name, st] : s->stats()) {
        out += fmt::format("{}{{listener=\"{}\"}} {}\n", m.name, name, ((*st).*(m.field)).load());
      }
    }
    if (inflight) {
      out +=
          "# HELP posthouse_smtp_inflight_bytes Bytes of messages being received over SMTP "
          "(all sessions).\n# TYPE posthouse_smtp_inflight_bytes gauge\n";
      out += fmt::format("posthouse_smtp_inflight_bytes {}\n", inflight->used());
      out +=
          "# HELP posthouse_smtp_inflight_limit_bytes The in-flight budget "
          "(limits.max_inflight_bytes).\n# TYPE posthouse_smtp_inflight_limit_bytes gauge\n";
      out += fmt::format("posthouse_smtp_inflight_limit_bytes {}\n", inflight->max_bytes());
    }
    for (const auto& c : counters) {
      out += fmt::format("# HELP {} {}\n# TYPE {} counter\n{} {}\n", c.name, c.help, c.name, c.name,
                         c.value());
    }
    co_return make_response(bhttp::status::ok, out, "text/plain; version=0.0.4; charset=utf-8");
  };
  router.add(bhttp::verb::get, "/metrics", metrics);
}

}  // namespace posthouse::http
