// Mailbox listing and status: LIST with LIST-EXTENDED selection and RETURN options (RFC 5258,
// SPECIAL-USE 6154, LIST-STATUS 5819), LSUB, and STATUS.
#include "base/strings.h"
#include "protocol/imap/command_parser.h"

namespace posthouse::imap::detail {

namespace {

// status-att list (RFC 3501/9051, 7162 HIGHESTMODSEQ, 7889 APPENDLIMIT, 8474 MAILBOXID).
R<std::vector<std::string_view>> status_items(Parser& p) {
  static constexpr std::string_view kItems[] = {
      "MESSAGES", "RECENT",  "UIDNEXT",       "UIDVALIDITY", "UNSEEN",
      "SIZE",     "DELETED", "HIGHESTMODSEQ", "APPENDLIMIT", "MAILBOXID"};
  auto items = PH_TRY(p.atom_list(false));
  for (auto it : items) {
    bool known = false;
    for (auto k : kItems) known = known || base::iequals(it, k);
    if (!known) return bad("Unknown status item");
  }
  return items;
}

}  // namespace

R<List> parse_list(Parser& p) {
  List l;
  PH_CHECK(p.sp());
  if (p.peek() == '(') {
    l.extended = true;
    auto opts = PH_TRY(p.atom_list(true));
    for (auto o : opts) {
      if (base::iequals(o, "SUBSCRIBED")) {
        l.subscribed = true;
      } else if (base::iequals(o, "REMOTE")) {
        l.remote = true;
      } else if (base::iequals(o, "RECURSIVEMATCH")) {
        l.recursive_match = true;
      } else if (base::iequals(o, "SPECIAL-USE")) {
        l.special_use_sel = true;
      } else {
        return bad("Unknown LIST selection option");
      }
    }
    // RFC 5258 3.1: RECURSIVEMATCH alone (or with only REMOTE) is an error.
    if (l.recursive_match && !l.subscribed && !l.special_use_sel)
      return bad("RECURSIVEMATCH needs another selection option");
    PH_CHECK(p.sp());
  }
  l.reference = PH_TRY(p.mailbox());
  PH_CHECK(p.sp());
  if (p.peek() == '(') {
    l.extended = true;
    PH_CHECK(p.list(false, [&]() -> base::Status {
      l.patterns.push_back(PH_TRY(p.list_mailbox()));
      return {};
    }));
  } else {
    l.patterns.push_back(PH_TRY(p.list_mailbox()));
  }
  if (p.accept(' ')) {
    std::string_view w = PH_TRY(p.atom());
    if (!base::iequals(w, "RETURN")) return bad("Expected RETURN");
    l.extended = true;
    PH_CHECK(p.sp());
    PH_CHECK(p.list(true, [&]() -> base::Status {
      std::string_view o = PH_TRY(p.atom());
      if (base::iequals(o, "SUBSCRIBED")) {
        l.ret_subscribed = true;
      } else if (base::iequals(o, "CHILDREN")) {
        l.ret_children = true;
      } else if (base::iequals(o, "SPECIAL-USE")) {
        l.ret_special_use = true;
      } else if (base::iequals(o, "STATUS") && l.ret_status.empty()) {
        PH_CHECK(p.sp());
        l.ret_status = PH_TRY(status_items(p));
      } else {
        return bad("Unknown LIST return option");
      }
      return {};
    }));
  }
  PH_CHECK(p.end());
  return l;
}

R<List> parse_lsub(Parser& p) {
  List l;
  PH_CHECK(p.sp());
  l.reference = PH_TRY(p.mailbox());
  PH_CHECK(p.sp());
  l.patterns.push_back(PH_TRY(p.list_mailbox()));
  PH_CHECK(p.end());
  return l;
}

R<Status> parse_status(Parser& p) {
  Status s;
  PH_CHECK(p.sp());
  s.mailbox = PH_TRY(p.mailbox());
  PH_CHECK(p.sp());
  s.items = PH_TRY(status_items(p));
  PH_CHECK(p.end());
  return s;
}

}  // namespace posthouse::imap::detail
