// Tests only: a listening unix socket at a fresh path under the test temp dir, for the fake
// daemons of the client tests.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>

namespace posthouse::antispam::testing {

// Binds and listens at TempDir()/<name>-<pid>-<n>; returns the descriptor, sets *path.
inline int listen_unix(const std::string& name, std::string* path) {
  static int counter = 0;
  *path = std::string(::testing::TempDir()) + name + "-" + std::to_string(::getpid()) + "-" +
          std::to_string(counter++);
  ::unlink(path->c_str());
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  path->copy(sun.sun_path, sizeof sun.sun_path - 1);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun), 0);
  EXPECT_EQ(::listen(fd, 4), 0);
  return fd;
}

}  // namespace posthouse::antispam::testing
