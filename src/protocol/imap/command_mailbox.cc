// Commands on one mailbox by name: SELECT/EXAMINE (CONDSTORE, QRESYNC: RFC 7162), CREATE
// (CREATE-SPECIAL-USE, RFC 6154), DELETE, RENAME, (UN)SUBSCRIBE, APPEND (RFC 3501, UTF8 literal
// RFC 9051), and the quota commands (RFC 9208).
#include <cstdint>

#include "base/strings.h"
#include "protocol/imap/command_parser.h"

namespace posthouse::imap::detail {

R<Select> parse_select(Parser& p) {
  Select s;
  PH_CHECK(p.sp());
  s.mailbox = PH_TRY(p.mailbox());
  if (!p.accept(' ')) return s;
  PH_CHECK(p.list(false, [&]() -> base::Status {
    std::string_view w = PH_TRY(p.atom());
    if (base::iequals(w, "CONDSTORE") && !s.condstore) {
      s.condstore = true;
    } else if (base::iequals(w, "QRESYNC") && !s.qresync) {
      Select::Qresync q;
      PH_CHECK(p.sp());
      PH_CHECK(p.open());
      q.uidvalidity = PH_TRY(p.number32(true));
      PH_CHECK(p.sp());
      q.modseq = PH_TRY(p.modseq(false));
      if (p.accept(' ')) {
        if (p.peek() != '(') {
          q.known_uids = PH_TRY(p.seqset());
          if (q.known_uids->saved) return bad("Invalid known-uids");
        }
        if (q.known_uids ? p.accept(' ') : true) {
          if (p.peek() == '(') {
            PH_CHECK(p.open());
            q.seq_match = PH_TRY(p.seqset());
            PH_CHECK(p.sp());
            q.uid_match = PH_TRY(p.seqset());
            PH_CHECK(p.close());
          } else if (!q.known_uids) {
            return bad("Invalid QRESYNC parameters");
          }
        }
      }
      PH_CHECK(p.close());
      s.qresync = std::move(q);
    } else {
      return bad("Unknown SELECT parameter");
    }
    return {};
  }));
  PH_CHECK(p.end());
  return s;
}

R<MailboxArg> parse_create(Parser& p) {
  MailboxArg m;
  PH_CHECK(p.sp());
  m.mailbox = PH_TRY(p.mailbox());
  if (p.accept(' ')) {
    PH_CHECK(p.open());
    std::string_view w = PH_TRY(p.atom());
    if (!base::iequals(w, "USE")) return bad("Unknown CREATE parameter");
    PH_CHECK(p.sp());
    m.special_use = PH_TRY(p.flag_list());
    PH_CHECK(p.close());
  }
  PH_CHECK(p.end());
  return m;
}

R<MailboxArg> parse_mailbox_arg(Parser& p) {
  MailboxArg m;
  PH_CHECK(p.sp());
  m.mailbox = PH_TRY(p.mailbox());
  PH_CHECK(p.end());
  return m;
}

R<Rename> parse_rename(Parser& p) {
  Rename r;
  PH_CHECK(p.sp());
  r.from = PH_TRY(p.mailbox());
  PH_CHECK(p.sp());
  r.to = PH_TRY(p.mailbox());
  PH_CHECK(p.end());
  return r;
}

namespace {

// [SP flag-list] [SP date-time] SP (literal | "UTF8 (" literal8 ")"), after the mailbox (or
// after the previous message of a MULTIAPPEND).
R<AppendMessage> append_message(Parser& p) {
  AppendMessage a;
  PH_CHECK(p.sp());
  if (p.peek() == '(') {
    a.flags = PH_TRY(p.flag_list());
    PH_CHECK(p.sp());
  }
  if (p.peek() == '"') {
    Str d = PH_TRY(p.quoted());
    a.date = PH_TRY(parse_date_time(d.value));
    PH_CHECK(p.sp());
  }
  if (base::iequals(p.peek_word(), "UTF8")) {
    p.skip(4);
    a.utf8 = true;
    PH_CHECK(p.sp());
    PH_CHECK(p.open());
    if (p.peek() != '~') return bad("UTF8 APPEND needs a literal8");
    a.message = PH_TRY(p.literal());
    PH_CHECK(p.close());
  } else {
    if (p.peek() != '{' && p.peek() != '~') return bad("APPEND message must be a literal");
    a.message = PH_TRY(p.literal());
  }
  return a;
}

}  // namespace

// APPEND mailbox message [message...] (MULTIAPPEND, RFC 3502: one command, all or none).
R<Append> parse_append(Parser& p) {
  Append a;
  PH_CHECK(p.sp());
  a.mailbox = PH_TRY(p.mailbox());
  do {
    PH_CHECK(p.count_arg());
    a.messages.push_back(PH_TRY(append_message(p)));
  } while (!p.eof());
  PH_CHECK(p.end());
  return a;
}

// REPLACE number mailbox message (RFC 8508).
R<Replace> parse_replace(Parser& p) {
  Replace r;
  PH_CHECK(p.sp());
  r.target = PH_TRY(p.number32(true));
  PH_CHECK(p.sp());
  r.mailbox = PH_TRY(p.mailbox());
  r.message = PH_TRY(append_message(p));
  PH_CHECK(p.end());
  return r;
}

R<Compress> parse_compress(Parser& p) {
  Compress c;
  PH_CHECK(p.sp());
  c.mechanism = PH_TRY(p.atom());
  PH_CHECK(p.end());
  return c;
}

R<QuotaRoot> parse_getquota(Parser& p) {
  QuotaRoot q;
  PH_CHECK(p.sp());
  q.root = PH_TRY(p.astring());
  PH_CHECK(p.end());
  return q;
}

R<SetQuota> parse_setquota(Parser& p) {
  SetQuota q;
  PH_CHECK(p.sp());
  q.root = PH_TRY(p.astring());
  PH_CHECK(p.sp());
  PH_CHECK(p.list(true, [&]() -> base::Status {
    std::string_view name = PH_TRY(p.atom());
    PH_CHECK(p.sp());
    uint64_t v = PH_TRY(p.number64());
    q.limits.emplace_back(name, v);
    return {};
  }));
  PH_CHECK(p.end());
  return q;
}

}  // namespace posthouse::imap::detail
