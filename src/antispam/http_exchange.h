// One HTTP/1.1 request and its response over a blocking socket with deadlines: the transport of
// the rspamd client (rspamd_client.h says why blocking). Not a general HTTP client: no TLS, no
// redirects, no chunked responses (rspamd sends Content-Length), one request per connection
// (`Connection: close`).
//
// Contract:
// - parse_http_response() is pure: it parses the bytes received so far and says whether more
//   are needed. Bounded: the head (status line and fields) at most limits.max_head bytes and
//   limits.max_fields fields, the body at most limits.max_body bytes; a breach, a malformed
//   status line or field, a bad Content-Length and a chunked body are Errc::kInvalid /
//   kTooLarge errors naming what was wrong (peer text quoted as printable ASCII).
// - http_post() sends the head and the body (not copied), then reads the response, all within
//   connect_timeout + timeout. Field values with CR, LF or NUL are refused (Errc::kInvalid)
//   before anything is sent: no header injection from envelope data.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace posthouse::antispam {

using HttpFields = std::vector<std::pair<std::string, std::string>>;

struct HttpLimits {
  std::size_t max_head = 16 * 1024;
  std::size_t max_fields = 64;
  std::size_t max_body = 4 * 1024 * 1024;
};

struct HttpResponse {
  int status = 0;
  std::string reason;
  HttpFields fields;  // names as received
  std::string body;

  const std::string* field(std::string_view name) const;  // case-insensitive; first one
};

// nullopt: a complete response needs more bytes (with at_eof, no more will come: then a
// response without Content-Length ends here, and anything else incomplete is an error).
base::Result<std::optional<HttpResponse>> parse_http_response(std::string_view bytes, bool at_eof,
                                                              const HttpLimits& limits);

// The request head: request line, Host, the given fields, Content-Length, Connection: close.
base::Result<std::string> http_request_head(std::string_view method, std::string_view path,
                                            std::string_view host, const HttpFields& fields,
                                            std::size_t body_size);

struct HttpTarget {
  std::string address;  // for net::BlockingSocket: "host:port" or "unix:/path"
  std::string host;     // the Host field
};

// "http://host:port[/]", "host:port" or "unix:/path" (an HTTP path other than "/" is refused).
base::Result<HttpTarget> parse_http_url(std::string_view url);

struct HttpTimeouts {
  std::chrono::milliseconds connect{5000};
  std::chrono::milliseconds exchange{20000};  // writing the request and reading the response
};

base::Result<HttpResponse> http_post(const HttpTarget& target, std::string_view path,
                                     const HttpFields& fields, std::string_view body,
                                     const HttpTimeouts& timeouts, const HttpLimits& limits);

}  // namespace posthouse::antispam
