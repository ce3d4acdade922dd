#include "antispam/http_exchange.h"

#include <gtest/gtest.h>

#include <string>

namespace posthouse::antispam {
namespace {

const HttpLimits kLimits;

HttpResponse parsed(std::string_view bytes, bool eof = false) {
  auto r = parse_http_response(bytes, eof, kLimits);
  EXPECT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r.ok() && r->has_value());
  return r.ok() && r->has_value() ? **r : HttpResponse{};
}

std::string error_of(std::string_view bytes, bool eof = false, HttpLimits limits = {}) {
  auto r = parse_http_response(bytes, eof, limits);
  return r.ok() ? "(no error)" : r.error().message;
}

TEST(HttpResponseParse, ContentLength) {
  auto r = parsed("HTTP/1.1 200 OK\r\nServer: rspamd/3.4\r\ncontent-length: 4\r\n\r\npong");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.reason, "OK");
  EXPECT_EQ(r.body, "pong");
  ASSERT_NE(r.field("Server"), nullptr);
  EXPECT_EQ(*r.field("SERVER"), "rspamd/3.4");
  EXPECT_EQ(r.field("X-Absent"), nullptr);
  // Bytes after the body (none expected) are ignored.
  EXPECT_EQ(parsed("HTTP/1.0 404 Not here\r\nContent-Length: 2\r\n\r\nabXYZ").body, "ab");
}

TEST(HttpResponseParse, NeedsMoreUntilComplete) {
  std::string full = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
  for (std::size_t n = 0; n < full.size(); ++n) {
    auto r = parse_http_response(std::string_view(full).substr(0, n), false, kLimits);
    ASSERT_TRUE(r.ok()) << n << ": " << r.error().message;
    EXPECT_FALSE(r->has_value()) << n;
  }
  EXPECT_EQ(parsed(full).body, "0123456789");
}

TEST(HttpResponseParse, BodyToCloseWithoutLength) {
  auto r = parse_http_response("HTTP/1.1 200 OK\r\n\r\npartial", false, kLimits);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(parsed("HTTP/1.1 200 OK\r\n\r\nall of it", true).body, "all of it");
}

TEST(HttpResponseParse, MalformedResponses) {
  EXPECT_EQ(error_of("SMTP 220 hello\r\n\r\n"), "bad HTTP status line: SMTP 220 hello");
  EXPECT_EQ(error_of("HTTP/1.1 2x0 OK\r\n\r\n"), "bad HTTP status line: HTTP/1.1 2x0 OK");
  EXPECT_EQ(error_of("HTTP/1.1 099 Low\r\n\r\n"), "bad HTTP status line: HTTP/1.1 099 Low");
  EXPECT_EQ(error_of("HTTP/1.1 200OK\r\n\r\n"), "bad HTTP status line: HTTP/1.1 200OK");
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nno colon\r\n\r\n"), "bad HTTP field: no colon");
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n"), "bad HTTP field: Bad Name: x");
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\n: x\r\n\r\n"), "bad HTTP field: : x");
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"),
            "bad HTTP Content-Length: -1");
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n"),
            "bad HTTP Content-Length: 1x");
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n"), "bad HTTP Content-Length: ");
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\npong\r\n0\r\n"),
            "unsupported HTTP Transfer-Encoding: chunked");
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort", true),
            "HTTP response body cut short: ");
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\n", true),
            "HTTP response ends before its head does: HTTP/1.1 200 OK??");
  EXPECT_EQ(error_of("HTTP/1.1 200 \x01\xff\r\n\r\n"), "(no error)");
  EXPECT_EQ(parsed("HTTP/1.1 200 \x01\xff\r\n\r\n", true).reason, "??");
}

TEST(HttpResponseParse, EverythingThePeerSendsIsBounded) {
  HttpLimits small{64, 3, 10};
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nX: " + std::string(100, 'a'), false, small),
            "HTTP response head longer than 64 bytes");
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nX: " + std::string(60, 'a') + "\r\n\r\n", false, small),
            "HTTP response head longer than 64 bytes");
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", false, small),
            "HTTP response has more than 3 fields");
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", false, small),
            "HTTP response body of 11 bytes is over 10");
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\n\r\n" + std::string(11, 'b'), false, small),
            "HTTP response body longer than 10 bytes");
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
            "bad HTTP Content-Length: 99999999999999999999999");
}

TEST(HttpRequest, HeadAndInjection) {
  auto head = http_request_head("POST", "/checkv2", "127.0.0.1:11333",
                                {{"IP", "192.0.2.1"}, {"Rcpt", "a@b.example"}}, 42);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head,
            "POST /checkv2 HTTP/1.1\r\nHost: 127.0.0.1:11333\r\nIP: 192.0.2.1\r\n"
            "Rcpt: a@b.example\r\nContent-Length: 42\r\nConnection: close\r\n\r\n");
  auto bad = http_request_head("POST", "/", "h", {{"Helo", "x\r\nPassword: y"}}, 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "HTTP field Helo holds a line break or NUL");
}

TEST(HttpUrl, Forms) {
  auto a = parse_http_url("http://127.0.0.1:11333");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->address, "127.0.0.1:11333");
  EXPECT_EQ(a->host, "127.0.0.1:11333");
  EXPECT_EQ(parse_http_url("HTTP://[::1]:11334/")->address, "[::1]:11334");
  EXPECT_EQ(parse_http_url("localhost:11333")->address, "localhost:11333");
  EXPECT_EQ(parse_http_url("unix:/run/rspamd/normal.sock")->address,
            "unix:/run/rspamd/normal.sock");
  EXPECT_EQ(parse_http_url("https://h:1").error().message,
            "unsupported URL https://h:1 (http:// only)");
  EXPECT_EQ(parse_http_url("http://h:1/checkv2").error().message,
            "URL http://h:1/checkv2 has a path: give host:port only");
  EXPECT_EQ(parse_http_url("http://h").error().message, "URL http://h needs host:port");
  EXPECT_EQ(parse_http_url("[::1]").error().message, "URL [::1] needs host:port");
  EXPECT_EQ(parse_http_url("").error().message, "URL  needs host:port");
}

}  // namespace
}  // namespace posthouse::antispam
