#include "net/blocking_socket.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace posthouse::net {
namespace {

using namespace std::chrono_literals;

// A loopback listener nobody accepts on: the kernel completes connections (backlog) and
// nothing is ever answered, the peer a deadline is for.
struct SilentListener {
  SilentListener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
    EXPECT_EQ(::listen(fd, 8), 0);
    socklen_t len = sizeof sin;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
    port = ntohs(sin.sin_port);
  }
  ~SilentListener() { ::close(fd); }
  int fd = -1;
  int port = 0;
};

TEST(BlockingSocket, ReadFromASilentPeerTimesOut) {
  SilentListener peer;
  std::string address = "127.0.0.1:" + std::to_string(peer.port);
  auto s = BlockingSocket::connect(address, 5s);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE(s->write_all("hello", BlockingSocket::Clock::now() + 5s).ok());
  char buf[16];
  auto r = s->read_some(buf, sizeof buf, BlockingSocket::Clock::now() + 50ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, base::Errc::kTemporary);
  EXPECT_EQ(r.error().message, "reading from " + address + ": timed out");
}

TEST(BlockingSocket, AddressForms) {
  SilentListener peer;
  EXPECT_TRUE(BlockingSocket::connect("localhost:" + std::to_string(peer.port), 5s).ok());
  auto refused = BlockingSocket::connect("127.0.0.1:1", 5s);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, base::Errc::kUnavailable);
  EXPECT_EQ(refused.error().message, "connect to 127.0.0.1:1: Connection refused");
  for (const char* bad : {"nocolon", ":25", "host:", "unix:"}) {
    auto r = BlockingSocket::connect(bad, 5s);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, base::Errc::kInvalid) << bad;
  }
  auto long_path = BlockingSocket::connect("unix:/" + std::string(200, 'x'), 5s);
  ASSERT_FALSE(long_path.ok());
  EXPECT_EQ(long_path.error().code, base::Errc::kInvalid);
  auto missing = BlockingSocket::connect("unix:/nonexistent/sock", 5s);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "connect to unix:/nonexistent/sock: No such file or directory");
}

}  // namespace
}  // namespace posthouse::net
