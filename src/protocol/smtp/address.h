// RFC 5321 paths and mailboxes (section 4.1.2), with RFC 6531 (SMTPUTF8) UTF-8 forms.
//
// Contract: parsing is pure and bounded (local part <= 64 octets, domain <= 255, path <= 256,
// all configurable). The parser accepts only what the grammar accepts, except that it parses
// and *flags* forms the relay policy must see (source routes, the `%` hack, quoted local parts
// containing `@`): the server, not the codec, decides to refuse them (550 5.7.1 on the MX).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace posthouse::smtp {

struct AddressLimits {
  size_t max_local = 64;
  size_t max_domain = 255;
  size_t max_path = 256;  // "<" ... ">" included
};

struct Mailbox {
  std::string local;   // unquoted value (quoted-pairs resolved)
  std::string domain;  // as written; for literals without the brackets, e.g. "IPv6:::1"
  bool quoted_local = false;
  bool domain_literal = false;  // [1.2.3.4], [IPv6:...] or a general literal
  bool utf8 = false;            // local part or domain has non-ASCII (needs SMTPUTF8)
  bool percent_hack = false;    // local part contains '%' (user%other@host relay trick)
  bool at_in_local = false;     // quoted local part contains '@' ("a@b"@host)

  // Canonical wire form: local part re-quoted when it is not a dot-string.
  std::string to_string() const;
};

struct Path {
  bool null_path = false;        // "<>" (reverse-path only)
  bool postmaster_only = false;  // "<Postmaster>" without domain (forward-path only)
  bool source_route = false;     // "<@a,@b:user@host>": parsed, route discarded (RFC 5321 C)
  Mailbox mailbox;               // empty when null_path; local = "Postmaster" if postmaster_only
};

enum class PathKind { kReverse, kForward };

// Parses "<...>" exactly (no surrounding spaces). `utf8` allows RFC 6531 UTF-8 local parts and
// U-label domains (validated as UTF-8). Errors: kInvalid (field "address"), kTooLarge.
base::Result<Path> parse_path(std::string_view in, PathKind kind, bool utf8,
                              const AddressLimits& limits = {});

// Parses a bare mailbox "local@domain" (used for ORCPT and AUTH= values).
base::Result<Mailbox> parse_mailbox(std::string_view in, bool utf8,
                                    const AddressLimits& limits = {});

// RFC 5321 Domain (LDH labels, or U-labels when utf8). Not an address literal.
bool valid_domain(std::string_view d, bool utf8, size_t max = 255);

}  // namespace posthouse::smtp
