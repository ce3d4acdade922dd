// Domain and address normalisation and validation for everything the directory stores.
//
// Contract:
// - normalize_domain: IDNA2008 (libidn2, non-transitional, NFC input) to the lower-case
//   A-label form ("Bücher.Example" -> "xn--bcher-kva.example"); at least two labels,
//   labels 1..63 octets of LDH not starting/ending with '-', total <= 253 octets.
// - parse_address: "local@domain" with a dot-atom local part (no quoted strings, no
//   comments), at most 64 octets; ASCII atext or, per SMTPUTF8 (RFC 6531), any well-formed
//   UTF-8 non-ASCII character. ASCII letters of the local part are lower-cased (mailboxes are
//   case-insensitive here); the domain goes through normalize_domain.
// - Errors are kInvalid with field set to the caller-supplied field name.
// - Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace posthouse::directory {

struct Address {
  std::string local;
  std::string domain;  // A-label form
  std::string str() const { return local + "@" + domain; }
};

base::Result<std::string> normalize_domain(std::string_view input,
                                           std::string_view field = "domain");
base::Result<Address> parse_address(std::string_view input, std::string_view field = "address");
namespace detail {
// normalize_domain always through libidn2 (normalize_domain skips it for plain LDH names,
// which IDNA maps to themselves); for tests that hold the two to the same answers.
base::Result<std::string> normalize_domain_idna(std::string_view input, std::string_view field);
}  // namespace detail
// Display names and other short texts that may reach mail headers: bounded, valid UTF-8,
// no control characters.
base::Status check_text(std::string_view s, std::size_t max_bytes, std::string_view field);

}  // namespace posthouse::directory
