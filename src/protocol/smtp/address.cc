#include "protocol/smtp/address.h"

#include <arpa/inet.h>

#include <cstring>

#include "protocol/text.h"

namespace posthouse::smtp {

using base::Errc;
using base::make_error;

namespace {

bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

bool is_atext(unsigned char c, bool utf8) {
  if (is_alpha(c) || is_digit(c)) return true;
  if (c >= 0x80) return utf8;
  return c != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

base::Error addr_error(std::string msg) {
  return make_error(Errc::kInvalid, std::move(msg), "address");
}

// General-address-literal: Standardized-tag ":" 1*dcontent (RFC 5321 4.1.3).
bool valid_general_literal(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == s.size()) return false;
  for (size_t i = 0; i < colon; ++i) {
    unsigned char c = s[i];
    if (!(is_alpha(c) || is_digit(c) || (c == '-' && i + 1 < colon))) return false;
  }
  for (size_t i = colon + 1; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (!((c >= 33 && c <= 90) || (c >= 94 && c <= 126))) return false;
  }
  return true;
}

bool valid_address_literal(std::string_view s) {
  char tmp[64];
  if (s.size() >= sizeof(tmp)) return valid_general_literal(s);
  unsigned char buf[16];
  if (s.size() > 5 && (s.substr(0, 5) == "IPv6:" || s.substr(0, 5) == "ipv6:")) {
    std::memcpy(tmp, s.data() + 5, s.size() - 5);
    tmp[s.size() - 5] = 0;
    return inet_pton(AF_INET6, tmp, buf) == 1;
  }
  if (!s.empty() && is_digit(s[0])) {
    std::memcpy(tmp, s.data(), s.size());
    tmp[s.size()] = 0;
    return inet_pton(AF_INET, tmp, buf) == 1;
  }
  return valid_general_literal(s);
}

// Parses one mailbox at the front of `in`; returns bytes used.
base::Result<size_t> parse_mailbox_prefix(std::string_view in, bool utf8,
                                          const AddressLimits& limits, Mailbox& mb) {
  size_t i = 0;
  if (in.empty()) return addr_error("empty address");
  if (in[0] == '"') {
    mb.quoted_local = true;
    ++i;
    while (true) {
      if (i >= in.size()) return addr_error("unterminated quoted local part");
      unsigned char c = in[i];
      if (c == '"') break;
      if (c == '\\') {
        if (i + 1 >= in.size()) return addr_error("unterminated quoted local part");
        unsigned char q = in[i + 1];
        if (q < 32 || q > 126) return addr_error("invalid quoted-pair in local part");
        mb.local += static_cast<char>(q);
        i += 2;
        continue;
      }
      if (!((c >= 32 && c <= 126 && c != '"' && c != '\\') || (c >= 0x80 && utf8)))
        return addr_error("invalid character in quoted local part");
      mb.local += static_cast<char>(c);
      ++i;
    }
    ++i;  // closing quote
    if (mb.local.find('@') != std::string::npos) mb.at_in_local = true;
  } else {
    bool need_atom = true;
    while (i < in.size() && in[i] != '@') {
      unsigned char c = in[i];
      if (c == '.') {
        if (need_atom) return addr_error("empty label in local part");
        need_atom = true;
      } else if (is_atext(c, utf8)) {
        need_atom = false;
      } else {
        return addr_error("invalid character in local part");
      }
      ++i;
    }
    if (i == 0) return addr_error("empty local part");
    if (need_atom) return addr_error("local part ends with a dot");
    mb.local.assign(in.substr(0, i));
  }
  if (i > limits.max_local)
    return make_error(Errc::kTooLarge,
                      "local part longer than " + std::to_string(limits.max_local) + " octets",
                      "address");
  if (i >= in.size() || in[i] != '@') return addr_error("missing @domain");
  ++i;
  size_t dstart = i;
  if (i < in.size() && in[i] == '[') {
    size_t close = in.find(']', i);
    if (close == std::string_view::npos) return addr_error("unterminated address literal");
    std::string_view lit = in.substr(i + 1, close - i - 1);
    if (!valid_address_literal(lit)) return addr_error("invalid address literal");
    mb.domain_literal = true;
    mb.domain.assign(lit);
    i = close + 1;
  } else {
    while (i < in.size() && in[i] != '>' && in[i] != ' ') ++i;
    std::string_view d = in.substr(dstart, i - dstart);
    if (d.size() > limits.max_domain)
      return make_error(Errc::kTooLarge, "domain too long", "address");
    if (!valid_domain(d, utf8, limits.max_domain)) return addr_error("invalid domain");
    mb.domain.assign(d);
  }
  if (i - dstart > limits.max_domain)
    return make_error(Errc::kTooLarge, "domain too long", "address");
  if (utf8) {
    if (!protocol::valid_utf8(mb.local) || !protocol::valid_utf8(mb.domain))
      return addr_error("address is not valid UTF-8");
    for (unsigned char c : mb.local + mb.domain) {
      if (c >= 0x80) {
        mb.utf8 = true;
        break;
      }
    }
  }
  mb.percent_hack = mb.local.find('%') != std::string::npos;
  return i;
}

}  // namespace

bool valid_domain(std::string_view d, bool utf8, size_t max) {
  if (d.empty() || d.size() > max) return false;
  size_t label = 0;
  unsigned char prev = '.';
  for (unsigned char c : d) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else if (is_alpha(c) || is_digit(c) || (c >= 0x80 && utf8)) {
      ++label;
    } else if (c == '-') {
      if (label == 0) return false;
      ++label;
    } else {
      return false;
    }
    if (label > 63) return false;
    prev = c;
  }
  if (label == 0 || prev == '-') return false;
  return !utf8 || protocol::valid_utf8(d);
}

std::string Mailbox::to_string() const {
  std::string out;
  bool dot_string = !local.empty() && local.front() != '.' && local.back() != '.' &&
                    local.find("..") == std::string::npos;
  for (unsigned char c : local) {
    if (c != '.' && !is_atext(c, true)) dot_string = false;
  }
  if (dot_string) {
    out = local;
  } else {
    out += '"';
    for (char c : local) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '@';
  if (domain_literal) {
    out += '[';
    out += domain;
    out += ']';
  } else {
    out += domain;
  }
  return out;
}

base::Result<Mailbox> parse_mailbox(std::string_view in, bool utf8, const AddressLimits& limits) {
  Mailbox mb;
  size_t used = PH_TRY(parse_mailbox_prefix(in, utf8, limits, mb));
  if (used != in.size()) return addr_error("trailing characters after address");
  return mb;
}

base::Result<Path> parse_path(std::string_view in, PathKind kind, bool utf8,
                              const AddressLimits& limits) {
  if (in.size() > limits.max_path)
    return make_error(Errc::kTooLarge,
                      "path longer than " + std::to_string(limits.max_path) + " octets", "address");
  if (in.size() < 2 || in.front() != '<' || in.back() != '>')
    return addr_error("address must be enclosed in <>");
  std::string_view body = in.substr(1, in.size() - 2);
  Path p;
  if (body.empty()) {
    if (kind == PathKind::kForward) return addr_error("empty recipient address");
    p.null_path = true;
    return p;
  }
  if (kind == PathKind::kForward && body.size() == 10 && body.find('@') == std::string::npos &&
      (body[0] | 0x20) == 'p') {
    std::string lower;
    for (char c : body) lower += static_cast<char>(c | 0x20);
    if (lower == "postmaster") {
      p.postmaster_only = true;
      p.mailbox.local.assign(body);
      return p;
    }
  }
  if (body[0] == '@') {
    // A-d-l: "@" Domain *( "," "@" Domain ) ":" — parsed so it can be flagged, then ignored.
    size_t colon = body.find(':');
    if (colon == std::string_view::npos) return addr_error("malformed source route");
    std::string_view route = body.substr(0, colon);
    size_t pos = 0;
    while (pos < route.size()) {
      if (route[pos] != '@') return addr_error("malformed source route");
      size_t comma = route.find(',', pos);
      if (comma == std::string_view::npos) comma = route.size();
      std::string_view dom = route.substr(pos + 1, comma - pos - 1);
      if (!valid_domain(dom, utf8, limits.max_domain)) return addr_error("malformed source route");
      pos = comma == route.size() ? comma : comma + 1;
      if (comma + 1 == route.size()) return addr_error("malformed source route");
    }
    p.source_route = true;
    body = body.substr(colon + 1);
  }
  size_t used = PH_TRY(parse_mailbox_prefix(body, utf8, limits, p.mailbox));
  if (used != body.size()) return addr_error("trailing characters in address");
  return p;
}

}  // namespace posthouse::smtp
