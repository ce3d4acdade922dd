// Commands over a message set that change messages: STORE (with UNCHANGEDSINCE, RFC 7162),
// COPY, MOVE (RFC 6851) and UID EXPUNGE (RFC 4315).
#include "base/strings.h"
#include "protocol/imap/command_parser.h"

namespace posthouse::imap::detail {

R<Store> parse_store(Parser& p) {
  Store s;
  PH_CHECK(p.sp());
  s.set = PH_TRY(p.seqset());
  PH_CHECK(p.sp());
  if (p.peek() == '(') {
    PH_CHECK(p.open());
    std::string_view m = PH_TRY(p.atom());
    if (!base::iequals(m, "UNCHANGEDSINCE")) return bad("Invalid store modifier");
    PH_CHECK(p.sp());
    s.unchanged_since = PH_TRY(p.modseq(true));
    PH_CHECK(p.close());
    PH_CHECK(p.sp());
  }
  if (p.accept('+')) {
    s.mode = Store::Mode::kAdd;
  } else if (p.accept('-')) {
    s.mode = Store::Mode::kRemove;
  }
  std::string_view w = p.peek_word();
  if (base::iequals(w, "FLAGS.SILENT")) {
    s.silent = true;
  } else if (!base::iequals(w, "FLAGS")) {
    return bad("Expected FLAGS");
  }
  p.skip(w.size());
  PH_CHECK(p.sp());
  if (p.peek() == '(') {
    s.flags = PH_TRY(p.flag_list());
  } else {
    while (true) {
      s.flags.push_back(PH_TRY(p.flag()));
      if (p.eof()) break;
      PH_CHECK(p.sp());
    }
  }
  PH_CHECK(p.end());
  return s;
}

R<CopyMove> parse_copy_move(Parser& p) {
  CopyMove c;
  PH_CHECK(p.sp());
  c.set = PH_TRY(p.seqset());
  PH_CHECK(p.sp());
  c.mailbox = PH_TRY(p.mailbox());
  PH_CHECK(p.end());
  return c;
}

R<Expunge> parse_expunge(Parser& p, bool uid) {
  Expunge e;
  if (uid) {
    PH_CHECK(p.sp());
    e.uids = PH_TRY(p.seqset());
  }
  PH_CHECK(p.end());
  return e;
}

}  // namespace posthouse::imap::detail
