#include "net/blocking_socket.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace posthouse::net {

using base::Errc;
using base::Error;

namespace {

int remaining_ms(BlockingSocket::Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                    BlockingSocket::Clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(left.count());
}

Error system_error(const std::string& what, const std::string& address, int err) {
  Errc code = (err == ECONNREFUSED || err == ENOENT) ? Errc::kUnavailable : Errc::kIo;
  return Error(code, fmt::format("{} {}: {}", what, address, std::strerror(err)));
}

// Connects the non-blocking socket fd to addr, waiting at most until deadline.
base::Status connect_fd(int fd, const sockaddr* addr, socklen_t len, const std::string& address,
                        BlockingSocket::Clock::time_point deadline) {
  if (::connect(fd, addr, len) == 0) return {};
  if (errno != EINPROGRESS && errno != EAGAIN) return system_error("connect to", address, errno);
  pollfd p{fd, POLLOUT, 0};
  int n;
  do n = ::poll(&p, 1, remaining_ms(deadline));
  while (n < 0 && errno == EINTR);
  if (n == 0) return Error(Errc::kTemporary, fmt::format("connect to {}: timed out", address));
  if (n < 0) return system_error("connect to", address, errno);
  int err = 0;
  socklen_t elen = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
  if (err != 0) return system_error("connect to", address, err);
  return {};
}

int open_socket(int family) {
  return ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

}  // namespace

base::Result<BlockingSocket> BlockingSocket::connect(std::string_view address_view,
                                                     Clock::duration timeout) {
  std::string address(address_view);
  auto deadline = Clock::now() + timeout;
  if (address.starts_with("unix:")) {
    std::string path = address.substr(5);
    sockaddr_un sun{};
    if (path.empty() || path.size() >= sizeof sun.sun_path)
      return Error(Errc::kInvalid, fmt::format("bad unix socket path in {}", address));
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, path.data(), path.size());
    int fd = open_socket(AF_UNIX);
    if (fd < 0) return system_error("socket for", address, errno);
    BlockingSocket s(fd, address);
    PH_CHECK(connect_fd(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun, address, deadline));
    return s;
  }
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size())
    return Error(Errc::kInvalid,
                 fmt::format("bad address {} (expected unix:/path or host:port)", address));
  std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0)
    return Error(Errc::kUnavailable,
                 fmt::format("cannot resolve {}: {}", address, ::gai_strerror(rc)));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, ::freeaddrinfo);
  Error last(Errc::kUnavailable, fmt::format("no address for {}", address));
  for (auto* ai = res; ai; ai = ai->ai_next) {
    int fd = open_socket(ai->ai_family);
    if (fd < 0) {
      last = system_error("socket for", address, errno);
      continue;
    }
    BlockingSocket s(fd, address);
    auto st = connect_fd(fd, ai->ai_addr, ai->ai_addrlen, address, deadline);
    if (st) return s;
    last = st.error();
    if (last.code == Errc::kTemporary) break;  // the deadline is spent
  }
  return last;
}

BlockingSocket::BlockingSocket(BlockingSocket&& other) noexcept
    : fd_(other.fd_), address_(std::move(other.address_)) {
  other.fd_ = -1;
}

BlockingSocket& BlockingSocket::operator=(BlockingSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    address_ = std::move(other.address_);
    other.fd_ = -1;
  }
  return *this;
}

BlockingSocket::~BlockingSocket() {
  if (fd_ >= 0) ::close(fd_);
}

bool BlockingSocket::readable_now() const {
  pollfd p{fd_, POLLIN, 0};
  int n;
  do n = ::poll(&p, 1, 0);
  while (n < 0 && errno == EINTR);
  return n != 0;  // readable, closed, or an error: not a quiet idle connection
}

base::Status BlockingSocket::wait(short events, Clock::time_point deadline, const char* what) {
  pollfd p{fd_, events, 0};
  int n;
  do n = ::poll(&p, 1, remaining_ms(deadline));
  while (n < 0 && errno == EINTR);
  if (n == 0) return Error(Errc::kTemporary, fmt::format("{} {}: timed out", what, address_));
  if (n < 0) return system_error(what, address_, errno);
  return {};
}

base::Status BlockingSocket::write_all(std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    PH_CHECK(wait(POLLOUT, deadline, "writing to"));
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return system_error("writing to", address_, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

base::Result<std::size_t> BlockingSocket::read_some(char* buf, std::size_t cap,
                                                    Clock::time_point deadline) {
  for (;;) {
    PH_CHECK(wait(POLLIN, deadline, "reading from"));
    ssize_t n = ::recv(fd_, buf, cap, 0);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR && errno != EAGAIN) return system_error("reading from", address_, errno);
  }
}

}  // namespace posthouse::net
