// HTTP/1.1 on Boost.Beast: the `http` listener's session loop and a small router.
//
// Contract:
// - Requests are bounded (header bytes, body bytes from config [http]); a request over a limit
//   gets 431/413 and the connection closes; a malformed one gets 400 and closes.
// - Keep-alive is honoured; the idle timeout of net::Connection closes slow or silent clients.
// - Handlers are coroutines returning a Response; they must not block (use BlockingPool) and
//   must not throw (an exception becomes a 500 with a generic body, logged).
// - JSON errors use the API shape {"error":{"code":"…","message":"…"}} (json_error()).
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.h"
#include "net/connection.h"

namespace posthouse::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

struct Request {
  bhttp::request<bhttp::string_body> raw;
  std::string path;                          // decoded path, no query
  std::map<std::string, std::string> query;  // decoded query parameters
  std::string peer_ip;
  bool tls = false;
  std::map<std::string, std::string> params;  // path parameters filled by the router (":id")
};

using Response = bhttp::response<bhttp::string_body>;
using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

Response make_response(bhttp::status status, std::string body,
                       std::string content_type = "application/json");
Response json_error(bhttp::status status, std::string_view code, std::string_view message,
                    std::string_view field = {});
// JSON text of `j`; invalid UTF-8 in strings is replaced (U+FFFD) instead of throwing.
std::string dump_json(const nlohmann::json& j);

// Routes by method and path pattern: literal segments and ":name" parameters
// ("/api/v1/domains/:id"). A pattern ending in "/*" matches any rest of the path.
// A fallback, if set, answers GET and HEAD requests no route matched (the web panel's files).
class Router {
 public:
  void add(bhttp::verb method, std::string pattern, Handler h);
  void set_fallback(Handler h) { fallback_ = std::move(h); }
  // nullptr if no route; sets *path_exists when the path matched but not the method (405).
  const Handler* match(Request& req, bool* path_exists) const;
  std::vector<std::pair<bhttp::verb, std::string>> routes() const;

 private:
  struct Route {
    bhttp::verb method;
    std::string pattern;
    std::vector<std::string> segs;
    Handler handler;
  };
  std::vector<Route> routes_;
  Handler fallback_;
};

class HttpServer {
 public:
  HttpServer(const config::Http& limits, std::shared_ptr<Router> router);
  boost::asio::awaitable<void> session(std::shared_ptr<net::Connection> conn);

 private:
  config::Http limits_;
  std::shared_ptr<Router> router_;
};

// Percent-decoding; returns false on a malformed escape or an encoded NUL.
bool url_decode(std::string_view in, std::string& out, bool plus_is_space);

}  // namespace posthouse::http
