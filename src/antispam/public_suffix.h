// The Public Suffix List (publicsuffix.org) and the organizational domain of RFC 7489 3.2,
// which DMARC uses for policy discovery and relaxed alignment.
//
// Contract:
// - load() reads the list's text format: one rule a line, `//` comments, `*.` wildcards,
//   `!` exceptions; the ICANN and private sections alike. Bounded: 1,000,000 rules, 256-byte
//   rules; a line that is no rule is skipped. Names are ASCII (A-labels), compared in lower case.
// - public_suffix(d): the longest matching rule (an exception wins and removes its leftmost
//   label); with no rule, "*" applies, so the suffix is the last label (PSL algorithm).
// - organizational_domain(d): the public suffix plus one label; d itself when d is a public
//   suffix or has one label. Input is lower-cased and a trailing dot dropped.
// - Immutable after loading: safe to share between threads.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>

#include "base/result.h"

namespace posthouse::antispam {

// Where Debian's `publicsuffix` package puts the list.
inline constexpr std::string_view kPublicSuffixFile = "/usr/share/publicsuffix/public_suffix_list.dat";

// Lower case, without surrounding white space and trailing dots ("Mail.Example.COM." is
// "mail.example.com"); idempotent. Every name this file and dmarc.h compare goes through it.
std::string normalize_domain(std::string_view d);

class PublicSuffixList {
 public:
  static base::Result<PublicSuffixList> load_file(const std::string& path);
  static PublicSuffixList parse(std::string_view text);

  std::string public_suffix(std::string_view domain) const;
  std::string organizational_domain(std::string_view domain) const;
  std::size_t size() const { return rules_.size() + wildcards_.size() + exceptions_.size(); }

 private:
  std::unordered_set<std::string> rules_;       // "co.uk"
  std::unordered_set<std::string> wildcards_;   // "*.ck" stored as "ck"
  std::unordered_set<std::string> exceptions_;  // "!www.ck" stored as "www.ck"
};

}  // namespace posthouse::antispam
