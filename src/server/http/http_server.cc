#include "server/http/http_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace posthouse::http {

namespace asio = boost::asio;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

Response make_response(bhttp::status status, std::string body, std::string content_type) {
  Response r{status, 11};
  r.set(bhttp::field::server, "posthouse");
  r.set(bhttp::field::content_type, content_type);
  r.set(bhttp::field::cache_control, "no-store");
  r.set("X-Content-Type-Options", "nosniff");
  r.body() = std::move(body);
  r.prepare_payload();
  return r;
}

Response json_error(bhttp::status status, std::string_view code, std::string_view message,
                    std::string_view field) {
  nlohmann::json j;
  j["error"]["code"] = code;
  j["error"]["message"] = message;
  if (!field.empty()) j["error"]["field"] = field;
  return make_response(status, dump_json(j));
}

std::string dump_json(const nlohmann::json& j) {
  // Text from the peer (a path parameter, a cut field value) may be invalid UTF-8; dump()
  // would throw and turn a 4xx answer into a 500.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool url_decode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      char d = static_cast<char>(hi * 16 + lo);
      if (d == '\0') return false;
      out += d;
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return true;
}

void Router::add(bhttp::verb method, std::string pattern, Handler h) {
  Route r{method, pattern, {}, std::move(h)};
  for (auto s : base::split(std::string_view(pattern).substr(1), '/')) r.segs.emplace_back(s);
  routes_.push_back(std::move(r));
}

std::vector<std::pair<bhttp::verb, std::string>> Router::routes() const {
  std::vector<std::pair<bhttp::verb, std::string>> out;
  for (const auto& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

const Handler* Router::match(Request& req, bool* path_exists) const {
  *path_exists = false;
  // Split the raw (still encoded) path, so an encoded slash stays inside one segment.
  std::string_view target = req.raw.target();
  auto q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  if (raw_path.empty() || raw_path[0] != '/') return nullptr;
  auto raw_segs = base::split(raw_path.substr(1), '/');
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    bool ok = true;
    bool wildcard = !r.segs.empty() && r.segs.back() == "*";
    std::size_t fixed = wildcard ? r.segs.size() - 1 : r.segs.size();
    if (wildcard ? raw_segs.size() < fixed : raw_segs.size() != fixed) continue;
    for (std::size_t i = 0; i < fixed && ok; ++i) {
      const std::string& want = r.segs[i];
      std::string seg;
      if (!url_decode(raw_segs[i], seg, false)) {
        ok = false;
      } else if (!want.empty() && want[0] == ':') {
        // Parameters never contain a slash, a NUL or a dot-segment.
        if (seg.empty() || seg.find('/') != std::string::npos || seg == "." || seg == "..")
          ok = false;
        else
          params[want.substr(1)] = seg;
      } else if (seg != want) {
        ok = false;
      }
    }
    if (!ok) continue;
    *path_exists = true;
    if (r.method != req.raw.method()) continue;
    req.params = std::move(params);
    return &r.handler;
  }
  bool readonly = req.raw.method() == bhttp::verb::get || req.raw.method() == bhttp::verb::head;
  if (fallback_ && !*path_exists && readonly) return &fallback_;
  return nullptr;
}

HttpServer::HttpServer(const config::Http& limits, std::shared_ptr<Router> router)
    : limits_(limits), router_(std::move(router)) {}

namespace {

void parse_query(std::string_view target, std::map<std::string, std::string>& out) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return;
  for (auto kv : base::split(target.substr(q + 1), '&')) {
    if (kv.empty()) continue;
    auto eq = kv.find('=');
    std::string k, v;
    if (!url_decode(kv.substr(0, eq), k, true)) continue;
    if (eq != std::string_view::npos && !url_decode(kv.substr(eq + 1), v, true)) continue;
    out[k] = v;
  }
}

}  // namespace

asio::awaitable<void> HttpServer::session(std::shared_ptr<net::Connection> conn) {
  beast::flat_buffer buffer;
  while (!conn->closed()) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
    parser.body_limit(static_cast<std::uint64_t>(limits_.max_body_bytes));
    auto [ec, n] = co_await conn->with_stream(
        [&](auto& stream) { return bhttp::async_read(stream, buffer, parser, kTuple); });
    if (ec) {
      Response err;
      bool answer = true;
      if (ec == bhttp::error::header_limit) {
        err = json_error(bhttp::status::request_header_fields_too_large, "too_large",
                         "request headers too large");
      } else if (ec == bhttp::error::body_limit) {
        err = json_error(bhttp::status::payload_too_large, "too_large", "request body too large");
      } else if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
                 ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
                 ec == asio::error::bad_descriptor) {
        answer = false;
      } else {
        err = json_error(bhttp::status::bad_request, "bad_request",
                         fmt::format("malformed request: {}", ec.message()));
      }
      if (answer && !conn->closed()) {
        err.keep_alive(false);
        err.set(bhttp::field::connection, "close");
        co_await conn->with_stream([&](auto& stream) { return bhttp::async_write(stream, err, kTuple); });
      }
      break;
    }
    conn->touch();
    Request req;
    req.raw = parser.release();
    req.peer_ip = conn->peer_ip();
    req.tls = conn->is_tls();
    std::string_view target = req.raw.target();
    if (!url_decode(target.substr(0, target.find('?')), req.path, false)) {
      req.path.clear();
    }
    parse_query(target, req.query);

    Response res;
    bool path_exists = false;
    const Handler* h = req.path.empty() ? nullptr : router_->match(req, &path_exists);
    if (req.path.empty()) {
      res = json_error(bhttp::status::bad_request, "bad_request", "malformed request path");
    } else if (!h) {
      res = path_exists ? json_error(bhttp::status::method_not_allowed, "method_not_allowed",
                                     "method not allowed")
                        : json_error(bhttp::status::not_found, "not_found", "not found");
    } else {
      try {
        res = co_await (*h)(req);
      } catch (const std::exception& e) {
        spdlog::error("{} http handler error on {}: {}", conn->id(), req.path, e.what());
        res = json_error(bhttp::status::internal_server_error, "internal", "internal error");
      }
    }
    bool keep = req.raw.keep_alive() && !conn->shutting_down();
    res.version(req.raw.version());
    res.keep_alive(keep);
    if (req.raw.method() == bhttp::verb::head) res.body().clear();
    res.prepare_payload();
    auto [wec, wn] = co_await conn->with_stream(
        [&](auto& stream) { return bhttp::async_write(stream, res, kTuple); });
    conn->touch();
    if (wec || !keep) break;
  }
}

}  // namespace posthouse::http
