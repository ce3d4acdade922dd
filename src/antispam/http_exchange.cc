#include "antispam/http_exchange.h"

#include <fmt/format.h>

#include <charconv>

#include "base/printable.h"
#include "base/strings.h"
#include "net/blocking_socket.h"

namespace posthouse::antispam {

using base::Errc;
using base::Error;

namespace {

Error invalid(std::string_view what, std::string_view text) {
  return Error(Errc::kInvalid, fmt::format("{}: {}", what, base::printable_ascii(text, 100)));
}

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

const std::string* HttpResponse::field(std::string_view name) const {
  for (const auto& [n, v] : fields)
    if (base::iequals(n, name)) return &v;
  return nullptr;
}

base::Result<std::optional<HttpResponse>> parse_http_response(std::string_view bytes, bool at_eof,
                                                              const HttpLimits& limits) {
  auto head_end = bytes.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (bytes.size() > limits.max_head)
      return Error(Errc::kTooLarge,
                   fmt::format("HTTP response head longer than {} bytes", limits.max_head));
    if (at_eof) return invalid("HTTP response ends before its head does", bytes);
    return std::optional<HttpResponse>();
  }
  if (head_end + 4 > limits.max_head)
    return Error(Errc::kTooLarge,
                 fmt::format("HTTP response head longer than {} bytes", limits.max_head));
  HttpResponse r;
  std::string_view head = bytes.substr(0, head_end);
  auto eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  // "HTTP/1.x SSS reason"
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ' ||
      (status_line.size() > 12 && status_line[12] != ' '))
    return invalid("bad HTTP status line", status_line);
  auto code = status_line.substr(9, 3);
  auto [p, ec] = std::from_chars(code.data(), code.data() + 3, r.status);
  if (ec != std::errc() || p != code.data() + 3 || r.status < 100)
    return invalid("bad HTTP status line", status_line);
  if (status_line.size() > 13) r.reason = base::printable_ascii(status_line.substr(13), 200);
  std::string_view rest = eol == std::string_view::npos ? "" : head.substr(eol + 2);
  while (!rest.empty()) {
    auto end = rest.find("\r\n");
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? "" : rest.substr(end + 2);
    if (r.fields.size() == limits.max_fields)
      return Error(Errc::kTooLarge,
                   fmt::format("HTTP response has more than {} fields", limits.max_fields));
    auto colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return invalid("bad HTTP field", line);
    std::string_view name = line.substr(0, colon);
    for (char c : name)
      if (!is_token_char(c)) return invalid("bad HTTP field", line);
    r.fields.emplace_back(std::string(name), std::string(base::trim(line.substr(colon + 1))));
  }
  if (const auto* te = r.field("Transfer-Encoding"); te && !base::iequals(*te, "identity"))
    return invalid("unsupported HTTP Transfer-Encoding", *te);
  std::string_view body = bytes.substr(head_end + 4);
  if (const auto* cl = r.field("Content-Length")) {
    std::size_t length = 0;
    auto [q, e] = std::from_chars(cl->data(), cl->data() + cl->size(), length);
    if (cl->empty() || e != std::errc() || q != cl->data() + cl->size())
      return invalid("bad HTTP Content-Length", *cl);
    if (length > limits.max_body)
      return Error(Errc::kTooLarge, fmt::format("HTTP response body of {} bytes is over {}", length,
                                                limits.max_body));
    if (body.size() < length) {
      if (at_eof) return invalid("HTTP response body cut short", body.substr(0, 0));
      return std::optional<HttpResponse>();
    }
    r.body = std::string(body.substr(0, length));
    return std::optional<HttpResponse>(std::move(r));
  }
  if (body.size() > limits.max_body)
    return Error(Errc::kTooLarge,
                 fmt::format("HTTP response body longer than {} bytes", limits.max_body));
  if (!at_eof) return std::optional<HttpResponse>();
  r.body = std::string(body);
  return std::optional<HttpResponse>(std::move(r));
}

base::Result<std::string> http_request_head(std::string_view method, std::string_view path,
                                            std::string_view host, const HttpFields& fields,
                                            std::size_t body_size) {
  std::string head = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\n", method, path, host);
  for (const auto& [name, value] : fields) {
    if (base::has_ctl_breaks(name) || base::has_ctl_breaks(value))
      return Error(Errc::kInvalid, fmt::format("HTTP field {} holds a line break or NUL",
                                               base::printable_ascii(name, 64)));
    head += fmt::format("{}: {}\r\n", name, value);
  }
  head += fmt::format("Content-Length: {}\r\nConnection: close\r\n\r\n", body_size);
  return head;
}

base::Result<HttpTarget> parse_http_url(std::string_view url) {
  if (url.starts_with("unix:")) return HttpTarget{std::string(url), "localhost"};
  std::string_view rest = url;
  if (base::istarts_with(rest, "http://"))
    rest.remove_prefix(7);
  else if (rest.find("://") != std::string_view::npos)
    return Error(Errc::kInvalid, fmt::format("unsupported URL {} (http:// only)", url));
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.substr(slash) != "/")
      return Error(Errc::kInvalid, fmt::format("URL {} has a path: give host:port only", url));
    rest = rest.substr(0, slash);
  }
  auto colon = rest.rfind(':');
  if (rest.empty() || colon == std::string_view::npos || colon + 1 == rest.size() ||
      rest.back() == ']')
    return Error(Errc::kInvalid, fmt::format("URL {} needs host:port", url));
  return HttpTarget{std::string(rest), std::string(rest)};
}

base::Result<HttpResponse> http_post(const HttpTarget& target, std::string_view path,
                                     const HttpFields& fields, std::string_view body,
                                     const HttpTimeouts& timeouts, const HttpLimits& limits) {
  auto head = PH_TRY(http_request_head("POST", path, target.host, fields, body.size()));
  auto sock = PH_TRY(net::BlockingSocket::connect(target.address, timeouts.connect));
  auto deadline = net::BlockingSocket::Clock::now() + timeouts.exchange;
  PH_CHECK(sock.write_all(head, deadline));
  PH_CHECK(sock.write_all(body, deadline));
  std::string received;
  char buf[16384];
  for (;;) {
    auto n = PH_TRY(sock.read_some(buf, sizeof buf, deadline));
    received.append(buf, n);
    auto parsed = PH_TRY(parse_http_response(received, n == 0, limits));
    if (parsed) return std::move(*parsed);
  }
}

}  // namespace posthouse::antispam
