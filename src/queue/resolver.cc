#include "queue/resolver.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "base/strings.h"

namespace posthouse::queue {

using base::Errc;
using base::Error;

namespace {

std::once_flag g_init;

struct Channel {
  ares_channel ch = nullptr;
  ~Channel() {
    if (ch) ares_destroy(ch);
  }
};

base::Status open_channel(const ResolverOptions& o, Channel& c) {
  std::call_once(g_init, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  ares_options opts{};
  opts.timeout = o.timeout_ms;
  opts.tries = o.tries;
  char lookups[] = "b";  // DNS only: never /etc/hosts for mail routing
  opts.lookups = lookups;
  int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS;
  if (int rc = ares_init_options(&c.ch, &opts, mask); rc != ARES_SUCCESS) {
    return Error(Errc::kTemporary, fmt::format("resolver: {}", ares_strerror(rc)));
  }
  if (!o.server.empty()) {
    if (int rc = ares_set_servers_ports_csv(c.ch, o.server.c_str()); rc != ARES_SUCCESS) {
      return Error(Errc::kInvalid, fmt::format("resolver {}: {}", o.server, ares_strerror(rc)));
    }
  }
  return {};
}

// Runs the channel until no query is pending. c-ares enforces its own timeouts and retries.
void drive(ares_channel ch) {
  while (true) {
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    int bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
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
    timeval* tvp = ares_timeout(ch, nullptr, &tv);
    int ms = tvp ? static_cast<int>(tvp->tv_sec * 1000 + tvp->tv_usec / 1000) : 1000;
    int rc = poll(fds, static_cast<nfds_t>(n), ms);
    if (rc <= 0) {
      ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      continue;
    }
    for (int i = 0; i < n; ++i) {
      ares_socket_t r = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD;
      ares_socket_t w = (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
      if (r != ARES_SOCKET_BAD || w != ARES_SOCKET_BAD) ares_process_fd(ch, r, w);
    }
  }
}

// Asks one question and runs the channel until it is answered or timed out.
base::Status query(const ResolverOptions& o, const std::string& name, int type, ares_callback cb,
                   void* arg) {
  Channel c;
  PH_CHECK(open_channel(o, c));
  ares_query(c.ch, name.c_str(), C_IN, type, cb, arg);
  drive(c.ch);
  return {};
}

bool permanent_status(int status) {
  return status == ARES_ENOTFOUND || status == ARES_ENODATA || status == ARES_ENONAME;
}

Error dns_error(int status, std::string_view what) {
  if (permanent_status(status)) {
    return Error(Errc::kNotFound, fmt::format("{}: {}", what, ares_strerror(status)));
  }
  return Error(Errc::kTemporary, fmt::format("{}: {}", what, ares_strerror(status)));
}

std::string normalize(std::string_view name) {
  std::string s = base::to_lower(name);
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

int parse_mx_answer(const unsigned char* answer, int len, std::vector<MxHost>& hosts) {
  hosts.clear();
  ares_mx_reply* mx = nullptr;
  int rc = ares_parse_mx_reply(answer, len, &mx);
  if (rc != ARES_SUCCESS) return rc;
  bool dropped = false;
  for (ares_mx_reply* p = mx; p; p = p->next) {
    if (hosts.size() >= kMaxMxRecords) break;
    std::string name = normalize(p->host ? p->host : "");
    // A label may hold any byte on the wire; c-ares passes them through or escapes them
    // ("\\018"), depending on its version. A name with anything but letters, digits, '-', '_'
    // and '.' names no host and would carry those bytes into logs, queue errors and bounces.
    bool printable = !name.empty() && name.size() <= 253 &&
                     std::all_of(name.begin(), name.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                              c == '_' || c == '.';
                     });
    if (name.empty()) {  // the null MX (RFC 7505): "." normalised away
      hosts.push_back(MxHost{p->priority, std::move(name), {}});
      continue;
    }
    if (!printable) {
      dropped = true;
      continue;
    }
    hosts.push_back(MxHost{p->priority, std::move(name), {}});
  }
  ares_free_data(mx);
  // Only unusable records is a broken answer (temporary), not "no MX" (the implicit MX).
  if (dropped && hosts.empty()) return ARES_EBADRESP;
  return ARES_SUCCESS;
}

int parse_txt_answer(const unsigned char* answer, int len, std::vector<std::string>& records) {
  records.clear();
  ares_txt_ext* txt = nullptr;
  int rc = ares_parse_txt_reply_ext(answer, len, &txt);
  if (rc != ARES_SUCCESS) return rc;
  bool dropped = false;
  bool skipping = true;  // the current record is over the size limit or past the count
  for (ares_txt_ext* p = txt; p; p = p->next) {
    if (p->record_start) {
      skipping = records.size() >= kMaxTxtRecords;
      if (!skipping) records.emplace_back();
    }
    if (skipping) continue;
    if (records.back().size() + p->length > kMaxTxtBytes) {
      records.pop_back();
      dropped = true;
      skipping = true;
      continue;
    }
    records.back().append(reinterpret_cast<const char*>(p->txt), p->length);
  }
  ares_free_data(txt);
  if (dropped && records.empty()) return ARES_EBADRESP;
  return ARES_SUCCESS;
}

namespace {

struct TxtResult {
  int status = ARES_ETIMEOUT;
  std::vector<std::string> records;
};

void on_txt(void* arg, int status, int, unsigned char* abuf, int alen) {
  auto* res = static_cast<TxtResult*>(arg);
  res->status = status;
  if (status != ARES_SUCCESS) return;
  res->status = parse_txt_answer(abuf, alen, res->records);
}

struct MxResult {
  int status = ARES_ETIMEOUT;
  std::vector<MxHost> hosts;
};

void on_mx(void* arg, int status, int, unsigned char* abuf, int alen) {
  auto* res = static_cast<MxResult*>(arg);
  res->status = status;
  if (status != ARES_SUCCESS) return;
  res->status = parse_mx_answer(abuf, alen, res->hosts);
}

struct AddrResult {
  int status = ARES_ETIMEOUT;
  std::vector<std::string> addresses;
};

void on_addr(void* arg, int status, int, ares_addrinfo* ai) {
  auto* res = static_cast<AddrResult*>(arg);
  res->status = status;
  if (status != ARES_SUCCESS || !ai) {
    if (ai) ares_freeaddrinfo(ai);
    return;
  }
  for (ares_addrinfo_node* n = ai->nodes; n; n = n->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (n->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(n->ai_addr)->sin_addr, buf, sizeof buf);
    } else if (n->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(n->ai_addr)->sin6_addr, buf,
                sizeof buf);
    } else {
      continue;
    }
    std::string a = buf;
    if (std::find(res->addresses.begin(), res->addresses.end(), a) == res->addresses.end() &&
        res->addresses.size() < Resolver::kMaxAddresses) {
      res->addresses.push_back(a);
    }
  }
  if (res->addresses.empty()) res->status = ARES_ENODATA;
  ares_freeaddrinfo(ai);
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

base::Result<std::vector<std::string>> Resolver::addresses(std::string_view host) const {
  std::string name = normalize(host);
  in6_addr tmp;
  if (inet_pton(AF_INET, name.c_str(), &tmp) == 1 || inet_pton(AF_INET6, name.c_str(), &tmp) == 1)
    return std::vector<std::string>{name};
  if (!valid_name(name)) return Error(Errc::kNotFound, fmt::format("bad host name \"{}\"", name));
  Channel c;
  PH_CHECK(open_channel(opts_, c));
  AddrResult res;
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = ARES_AI_NOSORT;
  ares_getaddrinfo(c.ch, name.c_str(), nullptr, &hints, on_addr, &res);
  drive(c.ch);
  if (res.status != ARES_SUCCESS) return dns_error(res.status, fmt::format("address of {}", name));
  return res.addresses;
}

base::Result<std::vector<std::string>> Resolver::txt(std::string_view name) const {
  std::string n = normalize(name);
  if (!valid_name(n)) return Error(Errc::kNotFound, fmt::format("bad name \"{}\"", n));
  TxtResult res;
  PH_CHECK(query(opts_, n, T_TXT, on_txt, &res));
  if (res.status == ARES_SUCCESS && res.records.empty()) res.status = ARES_ENODATA;
  if (res.status != ARES_SUCCESS) return dns_error(res.status, fmt::format("TXT of {}", n));
  return std::move(res.records);
}

base::Result<Route> Resolver::route(std::string_view domain) const {
  std::string name = normalize(domain);
  if (!valid_name(name)) return Error(Errc::kNotFound, fmt::format("bad domain \"{}\"", name));
  MxResult mx;
  PH_CHECK(query(opts_, name, T_MX, on_mx, &mx));
  Route route;
  if (mx.status == ARES_ENODATA || (mx.status == ARES_SUCCESS && mx.hosts.empty())) {
    // No MX: the domain itself is the implicit MX.
    route.implicit = true;
    auto addrs = addresses(name);
    if (!addrs) {
      if (addrs.error().code == Errc::kNotFound) {
        return Error(Errc::kNotFound, fmt::format("{} has no MX and no address record", name));
      }
      return std::move(addrs).error();
    }
    route.hosts.push_back(MxHost{0, name, std::move(*addrs)});
    return route;
  }
  if (mx.status == ARES_ENOTFOUND) {
    return Error(Errc::kNotFound, fmt::format("{} does not exist: no MX and no address record", name));
  }
  if (mx.status != ARES_SUCCESS) return dns_error(mx.status, fmt::format("MX of {}", name));
  for (const auto& h : mx.hosts) {
    if (h.name.empty()) {
      return Error(Errc::kNotFound, fmt::format("{} does not accept mail (null MX)", name),
                   "null_mx");
    }
  }
  std::stable_sort(mx.hosts.begin(), mx.hosts.end(),
                   [](const MxHost& a, const MxHost& b) { return a.preference < b.preference; });
  if (mx.hosts.size() > kMaxHosts) mx.hosts.resize(kMaxHosts);
  bool temporary = false;
  std::string last_error;
  for (auto& h : mx.hosts) {
    auto addrs = addresses(h.name);
    if (!addrs) {
      temporary |= addrs.error().code != Errc::kNotFound;
      last_error = addrs.error().message;
      continue;
    }
    h.addresses = std::move(*addrs);
    route.hosts.push_back(std::move(h));
  }
  if (route.hosts.empty()) {
    return Error(temporary ? Errc::kTemporary : Errc::kNotFound,
                 fmt::format("no MX host of {} has an address ({})", name, last_error));
  }
  return route;
}

}  // namespace posthouse::queue
