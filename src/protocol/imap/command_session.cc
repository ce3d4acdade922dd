// Commands about the session rather than mail: AUTHENTICATE (SASL-IR, RFC 4959), LOGIN,
// ENABLE (RFC 5161) and ID (RFC 2971).
#include <cctype>

#include "protocol/imap/command_parser.h"

namespace posthouse::imap::detail {

R<Authenticate> parse_authenticate(Parser& p) {
  Authenticate a;
  PH_CHECK(p.sp());
  a.mechanism = PH_TRY(p.atom());
  if (p.accept(' ')) {
    a.initial = PH_TRY(
        p.run([](unsigned char c) { return std::isalnum(c) || c == '+' || c == '/' || c == '='; },
              "initial response"));
  }
  PH_CHECK(p.end());
  return a;
}

R<Login> parse_login(Parser& p) {
  Login l;
  PH_CHECK(p.sp());
  l.user = PH_TRY(p.astring());
  PH_CHECK(p.sp());
  l.password = PH_TRY(p.astring());
  PH_CHECK(p.end());
  return l;
}

R<Enable> parse_enable(Parser& p) {
  Enable e;
  while (p.accept(' ')) e.capabilities.push_back(PH_TRY(p.atom()));
  if (e.capabilities.empty()) return bad("ENABLE needs capabilities");
  PH_CHECK(p.end());
  return e;
}

R<Id> parse_id(Parser& p) {
  Id id;
  PH_CHECK(p.sp());
  if (p.accept_word("NIL")) {
    PH_CHECK(p.end());
    return id;
  }
  PH_CHECK(p.list(true, [&]() -> base::Status {
    Str k = PH_TRY(p.string());
    PH_CHECK(p.sp());
    auto v = PH_TRY(p.nstring());
    // RFC 2971 3.3: at most 30 pairs, field names <= 30 octets, values <= 1024.
    if (id.fields.size() >= 30 || k.value.size() > 30 || (v && v->size() > 1024))
      return bad("ID parameters too large");
    id.fields.emplace_back(k.value, v);
    return {};
  }));
  PH_CHECK(p.end());
  return id;
}

}  // namespace posthouse::imap::detail
