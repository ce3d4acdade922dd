// RFC 5256 section 2.1 base subject and the i;unicode-casemap collation (RFC 5051) that SORT
// and THREAD compare subjects with (RFC 5256 section 7: "the SORT and THREAD extensions MUST
// collate strings according to the i;unicode-casemap collation").
//
// Contract: pure functions; any byte string is accepted (invalid UTF-8 is compared as octets).
#pragma once

#include <string>
#include <string_view>

namespace posthouse::mime {

struct BaseSubject {
  std::string text;  // the base subject
  // RFC 5256 REFERENCES step 5: the extraction removed a subj-refwd ("Re:", "Fwd:", "Fw:"),
  // a "(fwd)" subj-trailer or a "[fwd:" ... "]" pair.
  bool reply_or_forward = false;
};

// Steps (2)-(7) of RFC 5256 2.1 on a subject already decoded to UTF-8 (HeaderInfo::subject).
// Step (1)'s whitespace collapsing is done here too.
BaseSubject extract_base_subject(std::string_view decoded_subject);

// The full algorithm from the raw header value: RFC 2047 decoding, then the above.
std::string base_subject(std::string_view raw_subject);

// i;unicode-casemap key: each character mapped to its titlecase, then NFKD-decomposed, so two
// strings are equal in the collation exactly when their keys are, and ordered as the keys are.
std::string unicode_casemap(std::string_view utf8);

}  // namespace posthouse::mime
