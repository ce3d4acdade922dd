// libFuzzer target: Authentication-Results fields a sender wrote (antispam/auth_results.h).
// Input: an authserv-id line, then a header section. Oracles: stripping is idempotent and
// only ever removes bytes (the output is a subsequence of whole input lines); no field left
// claims the id; a field that authserv_id_of() reads an id from yields the id again when
// the value is written back in front of "; none"; the header end lies within the message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "antispam/auth_results.h"
#include "base/strings.h"

using namespace posthouse;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto nl = in.find('\n');
  std::string_view id_line = nl == std::string_view::npos ? in : in.substr(0, nl);
  std::string_view header = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);

  auto id = antispam::authserv_id_of(id_line);
  if (id) {
    if (id->empty()) std::abort();
    // A token reads back as itself.
    bool token = true;
    for (char c : *id) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u >= 0x7f || std::string_view("()<>@,;:\\\"/[]?=").find(c) != std::string_view::npos)
        token = false;
    }
    if (token) {
      auto again = antispam::authserv_id_of(" " + *id + "; none");
      if (!again || *again != *id) std::abort();
    }
  }
  if (antispam::header_end(header) > header.size()) std::abort();

  std::string ours = id ? *id : "mx.example.org";
  std::size_t removed = 0;
  std::string once = antispam::strip_claims(header, ours, &removed);
  if (once.size() > header.size()) std::abort();
  if ((once.size() == header.size()) != (removed == 0)) std::abort();
  std::size_t again_removed = 0;
  std::string twice = antispam::strip_claims(once, ours, &again_removed);
  if (twice != once || again_removed != 0) std::abort();
  // Subsequence of the input.
  std::size_t j = 0;
  for (std::size_t i = 0; i < header.size() && j < once.size(); ++i) {
    if (header[i] == once[j]) ++j;
  }
  if (j != once.size()) std::abort();
  // With the X-Spam-* fields too: idempotent, and never more than without them.
  std::size_t spam_removed = 0, spam_again = 0;
  std::string spam = antispam::strip_claims(header, ours, &spam_removed, true);
  if (spam.size() > once.size() || spam_removed < removed) std::abort();
  if (antispam::strip_claims(spam, ours, &spam_again, true) != spam || spam_again != 0)
    std::abort();
  // A result read from a resinfo list is a non-empty lower-case token.
  for (const char* method : {"dmarc", "spf", "dkim"}) {
    auto r = antispam::method_result(header, method);
    if (r && (r->empty() || r->find_first_of(" ;()\"=") != std::string::npos)) std::abort();
  }
  return 0;
}
