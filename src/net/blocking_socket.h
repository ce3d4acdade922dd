// A blocking client socket with deadlines, for request/response daemons (clamd, rspamd) whose
// calls run on a BlockingPool thread or in a CLI command, never on an I/O thread.
//
// Contract:
// - Addresses: "unix:/path" (a unix stream socket) or "host:port" ("[v6]:port" for IPv6
//   literals; a host name is resolved with getaddrinfo, every address tried in turn within the
//   connect timeout).
// - Every operation takes a deadline (steady clock) and fails with Errc::kTemporary and a
//   message saying "timed out" when it passes; a peer that accepts and never answers costs the
//   caller at most its deadline. Other failures are Errc::kIo (kUnavailable for a refused or
//   absent address) with the system's reason and the address, never a secret.
// - Writes never raise SIGPIPE (MSG_NOSIGNAL). Move-only; closes on destruction.
//   Thread-compatible: one thread uses a socket at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace posthouse::net {

class BlockingSocket {
 public:
  using Clock = std::chrono::steady_clock;

  static base::Result<BlockingSocket> connect(std::string_view address, Clock::duration timeout);

  BlockingSocket(BlockingSocket&& other) noexcept;
  BlockingSocket& operator=(BlockingSocket&& other) noexcept;
  BlockingSocket(const BlockingSocket&) = delete;
  BlockingSocket& operator=(const BlockingSocket&) = delete;
  ~BlockingSocket();

  base::Status write_all(std::string_view data, Clock::time_point deadline);
  // Bytes read into buf (at most cap); 0 means the peer closed its side.
  base::Result<std::size_t> read_some(char* buf, std::size_t cap, Clock::time_point deadline);

  const std::string& address() const { return address_; }
  // True when the peer has sent something or closed its side: a kept connection that is idle
  // on our side must show neither before it is used again.
  bool readable_now() const;

 private:
  BlockingSocket(int fd, std::string address) : fd_(fd), address_(std::move(address)) {}
  base::Status wait(short events, Clock::time_point deadline, const char* what);

  int fd_ = -1;
  std::string address_;
};

}  // namespace posthouse::net
