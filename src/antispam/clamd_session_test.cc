// ClamdClient in clamd's session mode (idle_sessions > 0): kept connections, numbered replies,
// a kept session that clamd closed, a kept session that fails before its reply.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "antispam/clamd_client.h"
#include "antispam/test_unix_socket.h"

namespace posthouse::antispam {
namespace {

// What the fake does with a scan, by connection number and scan number on it (both from 1).
enum class Act { kReply, kReplyThenClose, kCloseWithoutReply };

// A fake clamd in session mode on a unix socket: every connection must start with zIDSESSION,
// then carries INSTREAM commands, each answered "<n>: <reply>" (n counts the connection's
// commands) or not, as `act` says. Counts connections and complete scans.
class FakeSessionClamd {
 public:
  FakeSessionClamd(std::string reply, std::function<Act(int conn, int scan)> act)
      : reply_(std::move(reply)), act_(std::move(act)) {
    listener_ = testing::listen_unix("fake-clamd-session", &path_);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeSessionClamd() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
    ::unlink(path_.c_str());
  }
  std::string address() const { return "unix:" + path_; }
  std::atomic<int> connections{0}, scans{0};
  std::atomic<bool> protocol_error{false};

 private:
  // Exactly n bytes, or false when the client closed or stop was asked.
  bool read_exactly(int c, char* out, size_t n) {
    size_t got = 0;
    while (got < n) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 50) == 0) {
        if (stop_) return false;
        continue;
      }
      ssize_t r = ::read(c, out + got, n - got);
      if (r <= 0) return false;
      got += static_cast<size_t>(r);
    }
    return true;
  }
  void serve() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(listener_, nullptr, nullptr);
      if (c < 0) continue;
      int conn = ++connections;
      char hello[11];
      if (!read_exactly(c, hello, 11) || std::string(hello, 11) != std::string("zIDSESSION\0", 11)) {
        protocol_error = true;
        ::close(c);
        continue;
      }
      for (int n = 1;; ++n) {
        char cmd[10];
        if (!read_exactly(c, cmd, 10)) break;
        if (std::string(cmd, 10) != std::string("zINSTREAM\0", 10)) {
          protocol_error = true;
          break;
        }
        bool ended = false;
        for (;;) {
          unsigned char h[4];
          if (!read_exactly(c, reinterpret_cast<char*>(h), 4)) break;
          size_t len = (size_t(h[0]) << 24) | (size_t(h[1]) << 16) | (size_t(h[2]) << 8) | h[3];
          if (len == 0) {
            ended = true;
            break;
          }
          std::string chunk(len, '\0');
          if (!read_exactly(c, chunk.data(), len)) break;
        }
        if (!ended) break;
        ++scans;
        Act a = act_(conn, n);
        if (a == Act::kCloseWithoutReply) break;
        std::string out = std::to_string(n) + ": " + reply_;
        ::send(c, out.data(), out.size() + 1, MSG_NOSIGNAL);  // with clamd's NUL
        if (a == Act::kReplyThenClose) break;
      }
      ::close(c);
    }
  }

  std::string reply_;
  std::function<Act(int, int)> act_;
  std::string path_;
  int listener_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

ClamdOptions session_options(const std::string& address) {
  ClamdOptions o;
  o.address = address;
  o.connect_timeout = o.timeout = std::chrono::seconds(10);
  o.idle_sessions = 2;
  return o;
}

TEST(ClamdSession, OneConnectionServesManyScansAndRepliesAreNumbered) {
  FakeSessionClamd fake("stream: Eicar-Test-Signature FOUND", [](int, int) { return Act::kReply; });
  ClamdClient client(session_options(fake.address()));
  for (int i = 0; i < 3; ++i) {
    auto r = client.scan("X5O!P%@AP");
    ASSERT_EQ(r.status, ClamdStatus::kInfected) << r.error;
    EXPECT_EQ(r.virus, "Eicar-Test-Signature");  // "3: " is not part of the name
  }
  EXPECT_EQ(fake.scans, 3);
  EXPECT_EQ(fake.connections, 1);
  EXPECT_FALSE(fake.protocol_error);
}

TEST(ClamdSession, ASessionClamdClosedIsReplaced) {
  // clamd ends a session after its IdleTimeout: the next scan goes to a new session (the kept
  // one is seen closed, or fails before any reply and the scan is retried).
  FakeSessionClamd fake("stream: OK", [](int, int) { return Act::kReplyThenClose; });
  ClamdClient client(session_options(fake.address()));
  ASSERT_EQ(client.scan("first").status, ClamdStatus::kClean);
  auto r = client.scan("second");
  ASSERT_EQ(r.status, ClamdStatus::kClean) << r.error;
  EXPECT_EQ(fake.scans, 2);
  EXPECT_EQ(fake.connections, 2);
  EXPECT_FALSE(fake.protocol_error);
}

TEST(ClamdSession, AKeptSessionThatFailsBeforeItsReplyIsRetriedOnANewOne) {
  // The first connection answers its first scan and drops the second without a reply.
  FakeSessionClamd fake("stream: OK", [](int conn, int scan) {
    return conn == 1 && scan == 2 ? Act::kCloseWithoutReply : Act::kReply;
  });
  ClamdClient client(session_options(fake.address()));
  ASSERT_EQ(client.scan("first").status, ClamdStatus::kClean);
  auto r = client.scan("second");
  EXPECT_EQ(r.status, ClamdStatus::kClean) << r.error;
  EXPECT_EQ(fake.connections, 2);
  EXPECT_EQ(fake.scans, 3);  // the dropped one, then the retry
}

TEST(ClamdSession, ANewSessionThatFailsIsAnErrorNotARetryLoop) {
  FakeSessionClamd fake("stream: OK", [](int, int) { return Act::kCloseWithoutReply; });
  ClamdClient client(session_options(fake.address()));
  auto r = client.scan("x");
  EXPECT_EQ(r.status, ClamdStatus::kError);
  EXPECT_NE(r.error.find("closed without a reply"), std::string::npos) << r.error;
  EXPECT_EQ(fake.connections, 1);
}

}  // namespace
}  // namespace posthouse::antispam
