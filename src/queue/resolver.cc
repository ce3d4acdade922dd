#include "queue/resolver.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <fmt/format.h>
#include <netdb.h>

#include <algorithm>
#include <memory>

#include "base/strings.h"
#include "net/ares_channel.h"

namespace posthouse::queue {

using base::Errc;
using base::Error;

namespace {

net::DnsOptions dns_options(const ResolverOptions& o) {
  return net::DnsOptions{o.server, o.timeout_ms, o.tries};
}

// Asks one question and runs the channel until it is answered or timed out.
base::Status query(const ResolverOptions& o, const std::string& name, int type, ares_callback cb,
                   void* arg) {
  net::AresChannel c;
  PH_CHECK(c.open(dns_options(o)));
  ares_query(c.get(), name.c_str(), C_IN, type, cb, arg);
  c.run();
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

// A label may hold any byte on the wire; c-ares passes them through or escapes them ("\\018"),
// depending on its version. A name with anything but letters, digits, '-', '_' and '.' names
// no host and would carry those bytes into logs, queue errors, bounces and Received headers.
bool printable_host(std::string_view name) {
  return !name.empty() && name.size() <= 253 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

std::string canonical_ip(std::string_view ip) {
  std::string s(ip);
  char buf[INET6_ADDRSTRLEN] = {};
  in_addr v4;
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) return inet_ntop(AF_INET, &v4, buf, sizeof buf);
  in6_addr v6;
  if (inet_pton(AF_INET6, s.c_str(), &v6) != 1) return "";
  if (IN6_IS_ADDR_V4MAPPED(&v6)) return inet_ntop(AF_INET, &v6.s6_addr[12], buf, sizeof buf);
  return inet_ntop(AF_INET6, &v6, buf, sizeof buf);
}

int parse_mx_answer(const unsigned char* answer, int len, std::vector<MxHost>& hosts) {
  hosts.clear();
  ares_mx_reply* mx = nullptr;
  int rc = ares_parse_mx_reply(answer, len, &mx);
  if (rc != ARES_SUCCESS) return rc;
  bool dropped = false;
  for (ares_mx_reply* p = mx; p; p = p->next) {
    if (hosts.size() >= kMaxMxRecords) break;
    std::string name = normalize(p->host ? p->host : "");
    bool printable = printable_host(name);
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

namespace {

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

struct PtrResult {
  int status = ARES_ETIMEOUT;
  std::vector<std::string> names;
};

void on_ptr(void* arg, int status, int, hostent* h) {
  auto* res = static_cast<PtrResult*>(arg);
  res->status = status;
  if (status != ARES_SUCCESS || !h) return;
  auto add = [&](const char* n) {
    std::string name = normalize(n ? n : "");
    if (!printable_host(name) || res->names.size() >= Resolver::kMaxPtrNames) return;
    if (std::find(res->names.begin(), res->names.end(), name) == res->names.end())
      res->names.push_back(std::move(name));
  };
  add(h->h_name);
  for (char** a = h->h_aliases; a && *a; ++a) add(*a);
  if (res->names.empty()) res->status = ARES_ENODATA;
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
  net::AresChannel c;
  PH_CHECK(c.open(dns_options(opts_)));
  AddrResult res;
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = ARES_AI_NOSORT;
  ares_getaddrinfo(c.get(), name.c_str(), nullptr, &hints, on_addr, &res);
  c.run();
  if (res.status != ARES_SUCCESS) return dns_error(res.status, fmt::format("address of {}", name));
  return res.addresses;
}

base::Result<std::string> Resolver::confirmed_name(std::string_view ip) const {
  std::string want = canonical_ip(ip);
  if (want.empty()) return Error(Errc::kInvalid, fmt::format("not an address: \"{}\"", ip));
  in6_addr bytes{};
  bool v4 = inet_pton(AF_INET, want.c_str(), &bytes) == 1;
  if (!v4) inet_pton(AF_INET6, want.c_str(), &bytes);
  PtrResult ptr;
  {
    net::AresChannel c;
    PH_CHECK(c.open(dns_options(opts_)));
    ares_gethostbyaddr(c.get(), &bytes, v4 ? sizeof(in_addr) : sizeof(in6_addr),
                       v4 ? AF_INET : AF_INET6, on_ptr, &ptr);
    c.run();
  }
  if (ptr.status != ARES_SUCCESS) return dns_error(ptr.status, fmt::format("PTR of {}", want));
  bool temporary = false;
  for (const auto& name : ptr.names) {
    auto addrs = addresses(name);
    if (!addrs) {
      temporary |= addrs.error().code != Errc::kNotFound;
      continue;
    }
    for (const auto& a : *addrs) {
      if (canonical_ip(a) == want) return name;
    }
  }
  return Error(temporary ? Errc::kTemporary : Errc::kNotFound,
               fmt::format("no PTR name of {} resolves back to it", want));
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
