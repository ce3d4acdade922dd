#include "net/ares_channel.h"

#include <fmt/format.h>
#include <poll.h>

#include <mutex>

namespace posthouse::net {

using base::Errc;
using base::Error;

namespace {
std::once_flag g_init;
}  // namespace

AresChannel::~AresChannel() {
  if (ch_) ares_destroy(ch_);
}

base::Status AresChannel::open(const DnsOptions& o) {
  std::call_once(g_init, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  ares_options opts{};
  opts.timeout = o.timeout_ms;
  opts.tries = o.tries;
  char lookups[] = "b";  // DNS only: never /etc/hosts for mail
  opts.lookups = lookups;
  int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS;
  if (int rc = ares_init_options(&ch_, &opts, mask); rc != ARES_SUCCESS) {
    ch_ = nullptr;
    return Error(Errc::kTemporary, fmt::format("resolver: {}", ares_strerror(rc)));
  }
  if (!o.server.empty()) {
    if (int rc = ares_set_servers_ports_csv(ch_, o.server.c_str()); rc != ARES_SUCCESS) {
      return Error(Errc::kInvalid, fmt::format("resolver {}: {}", o.server, ares_strerror(rc)));
    }
  }
  return {};
}

void AresChannel::run() {
  while (true) {
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    int bits = ares_getsock(ch_, socks, ARES_GETSOCK_MAXNUM);
    pollfd fds[ARES_GETSOCK_MAXNUM];
    int n = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short ev = 0;
      if (ARES_GETSOCK_READABLE(bits, i)) ev |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(bits, i)) ev |= POLLOUT;
      if (ev) fds[n++] = pollfd{socks[i], ev, 0};
    }
    if (n == 0) return;
    timeval tv{};
    timeval* tvp = ares_timeout(ch_, nullptr, &tv);
    int ms = tvp ? static_cast<int>(tvp->tv_sec * 1000 + tvp->tv_usec / 1000) : 1000;
    int rc = poll(fds, static_cast<nfds_t>(n), ms);
    if (rc <= 0) {
      ares_process_fd(ch_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      continue;
    }
    for (int i = 0; i < n; ++i) {
      ares_socket_t r =
          (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD;
      ares_socket_t w = (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
      if (r != ARES_SOCKET_BAD || w != ARES_SOCKET_BAD) ares_process_fd(ch_, r, w);
    }
  }
}

}  // namespace posthouse::net
