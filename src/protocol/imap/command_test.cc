#include "protocol/imap/command.h"

#include <gtest/gtest.h>

#include "protocol/imap/response.h"
#include "protocol/imap/test_util.h"

namespace posthouse::imap {
namespace {

using base::Errc;
using testing::Harness;
using CK = CommandKind;
using K = SearchKey::Kind;
using FK = FetchAtt::Kind;

#define PARSE_OK(h, wire)                                                            \
  ({                                                                                 \
    auto r_ = (h).parse(wire);                                                       \
    EXPECT_TRUE(r_.ok()) << (wire) << " -> " << (r_.ok() ? "" : r_.error().message); \
    r_.ok() ? std::move(r_).value() : Command{};                                     \
  })

base::Error parse_bad(std::string_view wire, ParseLimits pl = {}) {
  Harness h({}, pl);
  auto r = h.parse(wire);
  EXPECT_FALSE(r.ok()) << wire;
  return r.ok() ? base::Error{} : r.error();
}

TEST(ImapCommand, NoArgCommands) {
  struct {
    const char* wire;
    CK kind;
  } cases[] = {{"a CAPABILITY\r\n", CK::kCapability}, {"a noop\r\n", CK::kNoop},
               {"a LOGOUT\r\n", CK::kLogout},         {"a STARTTLS\r\n", CK::kStartTls},
               {"a NAMESPACE\r\n", CK::kNamespace},   {"a IDLE\r\n", CK::kIdle},
               {"a CHECK\r\n", CK::kCheck},           {"a CLOSE\r\n", CK::kClose},
               {"a UNSELECT\r\n", CK::kUnselect},     {"a EXPUNGE\r\n", CK::kExpunge}};
  for (const auto& c : cases) {
    Harness h;
    Command cmd = PARSE_OK(h, c.wire);
    EXPECT_EQ(cmd.kind, c.kind) << c.wire;
    EXPECT_EQ(cmd.tag, "a");
    EXPECT_EQ(parse_bad(std::string(c.wire).insert(std::strlen(c.wire) - 2, " x")).field, "syntax");
  }
}

TEST(ImapCommand, TagAndUnknown) {
  EXPECT_EQ(parse_bad("a FOO\r\n").message, "Unknown command");
  EXPECT_EQ(parse_bad("+tag NOOP\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("NOOP\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a UID NOOP\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a  NOOP\r\n").field, "syntax");
  Harness h;
  std::string raw = "x]1 NOOP";
  std::string_view tag;
  EXPECT_TRUE(parse_command(raw, {}, &tag).ok());
  EXPECT_EQ(tag, "x]1");
}

TEST(ImapCommand, LoginAstringForms) {
  Harness h;
  Command c = PARSE_OK(h, "a LOGIN bob \"p\\\"w\\\\d\"\r\n");
  auto& l = std::get<Login>(c.args);
  EXPECT_EQ(l.user, "bob");
  EXPECT_EQ(l.password, "p\"w\\d");
  Harness h2;
  c = PARSE_OK(h2, "a LOGIN {3}\r\nbob {5+}\r\np w\"d\r\n");
  auto& l2 = std::get<Login>(c.args);
  EXPECT_EQ(l2.user, "bob");
  EXPECT_EQ(l2.password, "p w\"d");
  EXPECT_EQ(h2.continuations(), 1);
  EXPECT_EQ(parse_bad("a LOGIN bob\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a LOGIN bob \"unterminated\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a LOGIN bob \"bad\\escape\"\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a LOGIN bob (pw)\r\n").field, "syntax");
  EXPECT_EQ(parse_bad(std::string("a LOGIN bob {2}\r\np\0\r\n", 21)).message,
            "NUL in literal; use a literal8");
  EXPECT_EQ(parse_bad("a LOGIN b\xC3\xA9 x\r\n").field, "syntax");  // 8-bit atom
  EXPECT_EQ(parse_bad("a LOGIN \"b\xC3\" x\r\n").field, "syntax");  // bad UTF-8
  Harness h3;
  c = PARSE_OK(h3, "a LOGIN \"b\xC3\xA9\" x\r\n");
  EXPECT_EQ(std::get<Login>(c.args).user, "b\xC3\xA9");
}

TEST(ImapCommand, AuthenticateWithSaslIr) {
  Harness h;
  Command c = PARSE_OK(h, "a AUTHENTICATE PLAIN AGJvYgBwdw==\r\n");
  auto& a = std::get<Authenticate>(c.args);
  EXPECT_EQ(a.mechanism, "PLAIN");
  EXPECT_EQ(a.initial, "AGJvYgBwdw==");
  Harness h2;
  c = PARSE_OK(h2, "a AUTHENTICATE PLAIN =\r\n");
  EXPECT_EQ(std::get<Authenticate>(c.args).initial, "=");
  Harness h3;
  c = PARSE_OK(h3, "a AUTHENTICATE LOGIN\r\n");
  EXPECT_FALSE(std::get<Authenticate>(c.args).initial.has_value());
  EXPECT_EQ(parse_bad("a AUTHENTICATE PLAIN ab!c\r\n").field, "syntax");
}

TEST(ImapCommand, Enable) {
  Harness h;
  Command c = PARSE_OK(h, "a ENABLE CONDSTORE IMAP4rev2 UTF8=ACCEPT\r\n");
  EXPECT_EQ(std::get<Enable>(c.args).capabilities.size(), 3u);
  EXPECT_EQ(parse_bad("a ENABLE\r\n").field, "syntax");
}

TEST(ImapCommand, SelectWithCondstoreAndQresync) {
  Harness h;
  Command c = PARSE_OK(h, "a SELECT INBOX\r\n");
  EXPECT_EQ(std::get<Select>(c.args).mailbox, "INBOX");
  Harness h2;
  c = PARSE_OK(h2, "a EXAMINE \"Sent Items\" (CONDSTORE)\r\n");
  EXPECT_EQ(c.kind, CK::kExamine);
  EXPECT_TRUE(std::get<Select>(c.args).condstore);
  Harness h3;
  c = PARSE_OK(h3,
               "a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541 "
               "(1,3,5 1,3,5)))\r\n");
  auto& s = std::get<Select>(c.args);
  ASSERT_TRUE(s.qresync);
  EXPECT_EQ(s.qresync->uidvalidity, 67890007u);
  EXPECT_EQ(s.qresync->modseq, 20050715194045000u);
  ASSERT_TRUE(s.qresync->known_uids);
  EXPECT_EQ(s.qresync->known_uids->ranges.size(), 3u);
  ASSERT_TRUE(s.qresync->seq_match);
  Harness h4;
  c = PARSE_OK(h4, "a SELECT INBOX (QRESYNC (1 2))\r\n");
  EXPECT_FALSE(std::get<Select>(c.args).qresync->known_uids);
  Harness h5;
  c = PARSE_OK(h5, "a SELECT INBOX (QRESYNC (1 2 (1 5)))\r\n");
  EXPECT_TRUE(std::get<Select>(c.args).qresync->seq_match);
  EXPECT_EQ(parse_bad("a SELECT INBOX (QRESYNC (0 2))\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a SELECT INBOX (FOO)\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a SELECT INBOX (CONDSTORE CONDSTORE)\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a SELECT\r\n").field, "syntax");
}

TEST(ImapCommand, MailboxCommands) {
  Harness h;
  Command c = PARSE_OK(h, "a CREATE Archive/2024\r\n");
  EXPECT_EQ(std::get<MailboxArg>(c.args).mailbox, "Archive/2024");
  Harness h2;
  c = PARSE_OK(h2, "a CREATE MyDrafts (USE (\\Drafts))\r\n");
  ASSERT_EQ(std::get<MailboxArg>(c.args).special_use.size(), 1u);
  EXPECT_EQ(std::get<MailboxArg>(c.args).special_use[0], "\\Drafts");
  Harness h3;
  c = PARSE_OK(h3, "a RENAME old \"new name\"\r\n");
  EXPECT_EQ(std::get<Rename>(c.args).to, "new name");
  for (const char* w :
       {"a DELETE x\r\n", "a SUBSCRIBE x\r\n", "a UNSUBSCRIBE x\r\n", "a GETQUOTAROOT x\r\n"}) {
    Harness hh;
    Command cc = PARSE_OK(hh, w);
    EXPECT_EQ(std::get<MailboxArg>(cc.args).mailbox, "x");
  }
  EXPECT_EQ(parse_bad("a RENAME old\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a DELETE\r\n").field, "syntax");
  // Folder names with NUL cannot be sent as atoms, quoted strings or plain literals.
  EXPECT_EQ(parse_bad(std::string("a CREATE \"a\0b\"\r\n", 16)).field, "syntax");
  EXPECT_EQ(parse_bad(std::string("a CREATE {3}\r\na\0b\r\n", 19)).field, "syntax");
  EXPECT_EQ(parse_bad("a CREATE ~{3}\r\nabc\r\n").field, "syntax");
}

TEST(ImapCommand, ListBasicAndExtended) {
  Harness h;
  Command c = PARSE_OK(h, "a LIST \"\" *\r\n");
  auto& l = std::get<List>(c.args);
  EXPECT_EQ(l.reference, "");
  EXPECT_EQ(l.patterns.at(0), "*");
  EXPECT_FALSE(l.extended);
  Harness h2;
  c = PARSE_OK(h2,
               "a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX% \"Sent*\") RETURN "
               "(CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN))\r\n");
  auto& x = std::get<List>(c.args);
  EXPECT_TRUE(x.extended);
  EXPECT_TRUE(x.subscribed);
  EXPECT_TRUE(x.recursive_match);
  EXPECT_EQ(x.patterns.size(), 2u);
  EXPECT_TRUE(x.ret_children);
  EXPECT_TRUE(x.ret_special_use);
  EXPECT_EQ(x.ret_status.size(), 2u);
  Harness h3;
  c = PARSE_OK(h3, "a LIST (SPECIAL-USE) \"\" *\r\n");
  EXPECT_TRUE(std::get<List>(c.args).special_use_sel);
  Harness h4;
  c = PARSE_OK(h4, "a LIST () \"\" % RETURN ()\r\n");
  EXPECT_TRUE(std::get<List>(c.args).extended);
  Harness h5;
  c = PARSE_OK(h5, "a LSUB \"\" Foo/%\r\n");
  EXPECT_EQ(std::get<List>(c.args).patterns.at(0), "Foo/%");
  EXPECT_EQ(parse_bad("a LIST (RECURSIVEMATCH) \"\" *\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a LIST (BOGUS) \"\" *\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a LIST \"\" * RETURN (BOGUS)\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a LIST \"\" * EXTRA (x)\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a LIST \"\"\r\n").field, "syntax");
}

TEST(ImapCommand, Status) {
  Harness h;
  Command c = PARSE_OK(h, "a STATUS INBOX (MESSAGES UIDNEXT HIGHESTMODSEQ SIZE)\r\n");
  EXPECT_EQ(std::get<Status>(c.args).items.size(), 4u);
  EXPECT_EQ(parse_bad("a STATUS INBOX ()\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a STATUS INBOX (MESSAGES BOGUS)\r\n").message, "Unknown status item");
  EXPECT_EQ(parse_bad("a LIST \"\" * RETURN (STATUS (FOO))\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a STATUS INBOX MESSAGES\r\n").field, "syntax");
}

TEST(ImapCommand, AppendForms) {
  Harness h;
  Command c = PARSE_OK(h, "a APPEND INBOX {5}\r\nhello\r\n");
  auto& a = std::get<Append>(c.args);
  EXPECT_EQ(a.mailbox, "INBOX");
  ASSERT_EQ(a.messages.size(), 1u);
  EXPECT_EQ(a.messages[0].message.value, "hello");
  EXPECT_TRUE(a.messages[0].flags.empty());
  Harness h2;
  c = PARSE_OK(h2,
               "a APPEND Sent (\\Seen $Forwarded) \" 7-Feb-1994 21:52:25 -0800\" {3+}\r\nabc\r\n");
  auto& b = std::get<Append>(c.args).messages.at(0);
  EXPECT_EQ(b.flags.size(), 2u);
  ASSERT_TRUE(b.date);
  EXPECT_EQ(b.date->date.day, 7);
  EXPECT_EQ(b.date->zone_minutes, -480);
  Harness h3;
  c = PARSE_OK(h3, std::string("a APPEND INBOX UTF8 (~{3+}\r\na\0b)\r\n", 34));
  auto& u = std::get<Append>(c.args).messages.at(0);
  EXPECT_TRUE(u.utf8);
  EXPECT_TRUE(u.message.literal8);
  EXPECT_EQ(u.message.value.size(), 3u);
  Harness h4;
  c = PARSE_OK(h4, "a APPEND INBOX () {0+}\r\n\r\n");
  EXPECT_EQ(std::get<Append>(c.args).messages.at(0).message.value, "");
  EXPECT_EQ(parse_bad("a APPEND INBOX \"hello\"\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a APPEND INBOX \"31-Feb-2024 00:00:00 +0000\" {1+}\r\nx\r\n").field,
            "syntax");
  EXPECT_EQ(parse_bad("a APPEND INBOX (\\Seen {1+}\r\nx\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a APPEND INBOX {1+}\r\nx extra\r\n").field, "syntax");
}

TEST(ImapCommand, MultiAppendReplaceCompress) {
  Harness h;
  Command c = PARSE_OK(h, "a APPEND INBOX (\\Seen) {2+}\r\nab \"07-Feb-1994 21:52:25 +0000\" {1+}\r\nc"
                          " {0+}\r\n\r\n");
  auto& a = std::get<Append>(c.args);
  ASSERT_EQ(a.messages.size(), 3u);
  EXPECT_EQ(a.messages[0].message.value, "ab");
  EXPECT_EQ(a.messages[0].flags.size(), 1u);
  EXPECT_TRUE(a.messages[1].date);
  EXPECT_EQ(a.messages[1].message.value, "c");
  EXPECT_EQ(a.messages[2].message.value, "");
  EXPECT_EQ(parse_bad("a APPEND INBOX {1+}\r\nx \r\n").field, "syntax");

  Harness h2;
  c = PARSE_OK(h2, "a UID REPLACE 42 Drafts (\\Draft) {3+}\r\nxyz\r\n");
  EXPECT_TRUE(c.uid);
  EXPECT_EQ(c.kind, CommandKind::kReplace);
  auto& r = std::get<Replace>(c.args);
  EXPECT_EQ(r.target, 42u);
  EXPECT_EQ(r.mailbox, "Drafts");
  EXPECT_EQ(r.message.message.value, "xyz");
  EXPECT_EQ(parse_bad("a REPLACE 0 INBOX {1+}\r\nx\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a REPLACE 1:2 INBOX {1+}\r\nx\r\n").field, "syntax");

  Harness h3;
  c = PARSE_OK(h3, "a COMPRESS DEFLATE\r\n");
  EXPECT_EQ(std::get<Compress>(c.args).mechanism, "DEFLATE");
  EXPECT_EQ(parse_bad("a COMPRESS\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a UID COMPRESS DEFLATE\r\n").field, "syntax");
}

TEST(ImapCommand, PreviewAndObjectSearchKeys) {
  Harness h;
  Command c = PARSE_OK(h, "a FETCH 1:* (UID PREVIEW (LAZY) SAVEDATE)\r\n");
  auto& f = std::get<Fetch>(c.args);
  ASSERT_EQ(f.items.size(), 3u);
  EXPECT_EQ(f.items[1].kind, FetchAtt::Kind::kPreview);
  EXPECT_TRUE(f.items[1].peek);
  Harness h2;
  c = PARSE_OK(h2, "a FETCH 1 PREVIEW\r\n");
  EXPECT_FALSE(std::get<Fetch>(c.args).items.at(0).peek);
  EXPECT_EQ(parse_bad("a FETCH 1 (PREVIEW (FUZZY))\r\n").field, "syntax");

  Harness h3;
  c = PARSE_OK(h3,
               "a SEARCH EMAILID Mabc-1_2 THREADID T1 SAVEDBEFORE 1-Jan-2030 SAVEDATESUPPORTED"
               "\r\n");
  auto& k = std::get<Search>(c.args).key;
  ASSERT_EQ(k.children.size(), 4u);
  EXPECT_EQ(k.children[0].kind, SearchKey::Kind::kEmailId);
  EXPECT_EQ(k.children[0].text, "Mabc-1_2");
  EXPECT_EQ(k.children[1].kind, SearchKey::Kind::kThreadId);
  EXPECT_EQ(k.children[2].kind, SearchKey::Kind::kSavedBefore);
  EXPECT_EQ(k.children[2].date.year, 2030);
  EXPECT_EQ(k.children[3].kind, SearchKey::Kind::kSaveDateSupported);
  EXPECT_EQ(parse_bad("a SEARCH EMAILID a.b\r\n").field, "syntax");
}

TEST(ImapCommand, SearchAllKeys) {
  Harness h;
  Command c = PARSE_OK(
      h,
      "a SEARCH CHARSET UTF-8 ALL ANSWERED BCC x BEFORE 1-Feb-2024 BODY \"y z\" CC c DELETED "
      "DRAFT FLAGGED FROM f HEADER X-Spam yes KEYWORD $Junk LARGER 100 NEW NOT SEEN OLD "
      "ON 02-Mar-2023 OR TO a TO b RECENT SEEN SENTBEFORE 1-Jan-2020 SENTON 1-Jan-2020 "
      "SENTSINCE 1-Jan-2020 SINCE \"1-Jan-2020\" SMALLER 5 SUBJECT s TEXT t TO t UID 1:* "
      "UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNKEYWORD $x UNSEEN 1,2:4 (SEEN FLAGGED) "
      "MODSEQ 5 MODSEQ \"/flags/\\\\draft\" all 620162338 OLDER 60 YOUNGER 30\r\n");
  auto& s = std::get<Search>(c.args);
  EXPECT_EQ(s.charset, "UTF-8");
  EXPECT_FALSE(s.ret.esearch);
  ASSERT_EQ(s.key.kind, K::kAnd);
  const K expected[] = {
      K::kAll,       K::kAnswered, K::kBcc,        K::kBefore,    K::kBody,      K::kCc,
      K::kDeleted,   K::kDraft,    K::kFlagged,    K::kFrom,      K::kHeader,    K::kKeyword,
      K::kLarger,    K::kNew,      K::kNot,        K::kOld,       K::kOn,        K::kOr,
      K::kRecent,    K::kSeen,     K::kSentBefore, K::kSentOn,    K::kSentSince, K::kSince,
      K::kSmaller,   K::kSubject,  K::kText,       K::kTo,        K::kUid,       K::kUnanswered,
      K::kUndeleted, K::kUndraft,  K::kUnflagged,  K::kUnkeyword, K::kUnseen,    K::kSequence,
      K::kAnd,       K::kModseq,   K::kModseq,     K::kOlder,     K::kYounger};
  ASSERT_EQ(s.key.children.size(), std::size(expected));
  for (size_t i = 0; i < std::size(expected); ++i) {
    EXPECT_EQ(static_cast<int>(s.key.children[i].kind), static_cast<int>(expected[i])) << i;
  }
  EXPECT_EQ(s.key.children[3].date.month, 2);
  EXPECT_EQ(s.key.children[4].text, "y z");
  EXPECT_EQ(s.key.children[10].header, "X-Spam");
  EXPECT_EQ(s.key.children[10].text, "yes");
  EXPECT_EQ(s.key.children[11].text, "$Junk");
  EXPECT_EQ(s.key.children[12].number, 100u);
  EXPECT_EQ(s.key.children[14].children.at(0).kind, K::kSeen);
  EXPECT_EQ(s.key.children[17].children.size(), 2u);
  EXPECT_EQ(s.key.children[23].date.year, 2020);
  EXPECT_EQ(s.key.children[36].children.size(), 2u);
  EXPECT_EQ(s.key.children[37].number, 5u);
  EXPECT_EQ(s.key.children[38].header, "/flags/\\draft");
  EXPECT_EQ(s.key.children[38].text, "all");
  EXPECT_EQ(s.key.children[38].number, 620162338u);
  EXPECT_EQ(s.key.children[39].number, 60u);
}

TEST(ImapCommand, EsearchReturnAndSearchres) {
  Harness h;
  Command c = PARSE_OK(h, "a UID SEARCH RETURN (MIN MAX COUNT SAVE) UNSEEN\r\n");
  EXPECT_TRUE(c.uid);
  auto& s = std::get<Search>(c.args);
  EXPECT_TRUE(s.ret.esearch && s.ret.min && s.ret.max && s.ret.count && s.ret.save);
  EXPECT_FALSE(s.ret.all);
  Harness h2;
  c = PARSE_OK(h2, "a SEARCH RETURN () $\r\n");
  auto& s2 = std::get<Search>(c.args);
  EXPECT_TRUE(s2.ret.all);
  EXPECT_TRUE(s2.key.children[0].set.saved);
  EXPECT_EQ(parse_bad("a SEARCH RETURN (BOGUS) ALL\r\n").field, "syntax");
}

TEST(ImapCommand, SearchBadInput) {
  EXPECT_EQ(parse_bad("a SEARCH\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a SEARCH BOGUS\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a SEARCH SINCE 32-Jan-2024\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a SEARCH SINCE 1-Foo-2024\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a SEARCH LARGER -1\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a SEARCH OR SEEN\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a SEARCH (SEEN\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a SEARCH 0\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a SEARCH UID 1:0x\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a SEARCH MODSEQ \"/flags/x\" bogus 5\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a SEARCH SEENX\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a SEARCH YOUNGER 0\r\n").field, "syntax");
}

TEST(ImapCommand, DeepNestingIsBounded) {
  std::string deep =
      "a SEARCH " + std::string(1000, '(') + "SEEN" + std::string(1000, ')') + "\r\n";
  auto e = parse_bad(deep);
  EXPECT_EQ(e.code, Errc::kLimit);
  EXPECT_EQ(e.message, "Too deeply nested");
  std::string nots = "a SEARCH";
  for (int i = 0; i < 1000; ++i) nots += " NOT";
  nots += " SEEN\r\n";
  EXPECT_EQ(parse_bad(nots).code, Errc::kLimit);
  std::string ok = "a SEARCH " + std::string(10, '(') + "SEEN" + std::string(10, ')') + "\r\n";
  Harness h;
  PARSE_OK(h, ok);
  EXPECT_EQ(error_response("a", e), "a BAD Too deeply nested\r\n");
}

TEST(ImapCommand, ArgumentCountIsBounded) {
  ParseLimits pl;
  pl.max_args = 50;
  std::string many = "a SEARCH";
  for (int i = 0; i < 100; ++i) many += " SEEN";
  many += "\r\n";
  EXPECT_EQ(parse_bad(many, pl).code, Errc::kLimit);
}

TEST(ImapCommand, FetchItemsAndMacros) {
  Harness h;
  Command c = PARSE_OK(h, "a FETCH 1:* ALL\r\n");
  auto& f = std::get<Fetch>(c.args);
  EXPECT_EQ(f.items.size(), 4u);
  Harness h2;
  c = PARSE_OK(h2, "a FETCH 1 full\r\n");
  EXPECT_EQ(std::get<Fetch>(c.args).items.size(), 5u);
  EXPECT_EQ(std::get<Fetch>(c.args).items.back().kind, FK::kBody);
  Harness h3;
  c = PARSE_OK(h3, "a FETCH 2 FAST\r\n");
  EXPECT_EQ(std::get<Fetch>(c.args).items.size(), 3u);
  Harness h4;
  c = PARSE_OK(h4,
               "a UID FETCH 1:5,7 (UID FLAGS ENVELOPE INTERNALDATE RFC822 RFC822.HEADER "
               "RFC822.SIZE RFC822.TEXT BODY BODYSTRUCTURE MODSEQ BODY[] BODY.PEEK[HEADER] "
               "BODY[1.2.MIME] BODY.PEEK[HEADER.FIELDS (From \"Subject\")]<0.2048> "
               "BODY[2.HEADER.FIELDS.NOT (X-A)] BODY[3.TEXT] BODY[1]<10.20> BINARY[1.2] "
               "BINARY.PEEK[]<0.100> BINARY.SIZE[3] SAVEDATE EMAILID THREADID) "
               "(CHANGEDSINCE 12345 VANISHED)\r\n");
  auto& g = std::get<Fetch>(c.args);
  ASSERT_EQ(g.items.size(), 24u);
  EXPECT_EQ(g.changed_since, 12345u);
  EXPECT_TRUE(g.vanished);
  EXPECT_EQ(g.items[11].kind, FK::kBodySection);
  EXPECT_TRUE(g.items[11].section.part.empty());
  EXPECT_FALSE(g.items[11].peek);
  EXPECT_TRUE(g.items[12].peek);
  EXPECT_EQ(g.items[12].section.text, Section::Text::kHeader);
  EXPECT_EQ(g.items[13].section.part, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(g.items[13].section.text, Section::Text::kMime);
  EXPECT_EQ(g.items[14].section.text, Section::Text::kHeaderFields);
  EXPECT_EQ(g.items[14].section.fields.size(), 2u);
  EXPECT_EQ(g.items[14].section.fields[1], "Subject");
  ASSERT_TRUE(g.items[14].partial);
  EXPECT_EQ(g.items[14].partial->second, 2048u);
  EXPECT_EQ(g.items[15].section.text, Section::Text::kHeaderFieldsNot);
  EXPECT_EQ(g.items[16].section.text, Section::Text::kText);
  EXPECT_EQ(g.items[17].partial->first, 10u);
  EXPECT_EQ(g.items[18].kind, FK::kBinary);
  EXPECT_TRUE(g.items[19].peek);
  EXPECT_EQ(g.items[20].kind, FK::kBinarySize);
}

TEST(ImapCommand, FetchBadInput) {
  for (const char* w : {"a FETCH 1 BOGUS\r\n",
                        "a FETCH 1 BODY[\r\n",
                        "a FETCH 1 BODY[1.]\r\n",
                        "a FETCH 1 BODY[MIME]\r\n",
                        "a FETCH 1 BODY[HEADER.FIELDS]\r\n",
                        "a FETCH 1 BODY[HEADER.FIELDS ()]\r\n",
                        "a FETCH 1 BODY[]<1>\r\n",
                        "a FETCH 1 BODY[]<1.0>\r\n",
                        "a FETCH 1 BINARY[HEADER]\r\n",
                        "a FETCH 1 BINARY.SIZE[1]<0.1>\r\n",
                        "a FETCH 1 (FLAGS\r\n",
                        "a FETCH 1 ()\r\n",
                        "a FETCH 0 FLAGS\r\n",
                        "a FETCH 1:0x FLAGS\r\n",
                        "a FETCH 4294967296 FLAGS\r\n",
                        "a FETCH 1 FLAGS (VANISHED)\r\n",
                        "a UID FETCH 1 FLAGS (VANISHED)\r\n",
                        "a FETCH 1 FLAGS (CHANGEDSINCE 0)\r\n",
                        "a FETCH 1 FLAGSX\r\n",
                        "a FETCH FLAGS\r\n",
                        "a FETCH 1 BODY[0]\r\n"}) {
    EXPECT_EQ(parse_bad(w).field, "syntax") << w;
  }
}

TEST(ImapCommand, Store) {
  Harness h;
  Command c = PARSE_OK(h, "a STORE 2:4 +FLAGS.SILENT (\\Deleted \\Seen)\r\n");
  auto& s = std::get<Store>(c.args);
  EXPECT_EQ(s.mode, Store::Mode::kAdd);
  EXPECT_TRUE(s.silent);
  EXPECT_EQ(s.flags.size(), 2u);
  Harness h2;
  c = PARSE_OK(h2, "a UID STORE 1 (UNCHANGEDSINCE 320162338) -FLAGS \\Seen $Junk\r\n");
  auto& t = std::get<Store>(c.args);
  EXPECT_EQ(t.mode, Store::Mode::kRemove);
  EXPECT_EQ(t.unchanged_since, 320162338u);
  EXPECT_EQ(t.flags.size(), 2u);
  Harness h3;
  c = PARSE_OK(h3, "a STORE 1 FLAGS ()\r\n");
  EXPECT_EQ(std::get<Store>(c.args).mode, Store::Mode::kReplace);
  EXPECT_EQ(parse_bad("a STORE 1 +FLAGZ (\\Seen)\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a STORE 1 FLAGS\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a STORE 1 (FOO 1) FLAGS \\Seen\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a STORE 1 FLAGS (\\)\r\n").field, "syntax");
}

TEST(ImapCommand, CopyMoveExpunge) {
  Harness h;
  Command c = PARSE_OK(h, "a UID MOVE 1:3 Trash\r\n");
  EXPECT_EQ(c.kind, CK::kMove);
  EXPECT_EQ(std::get<CopyMove>(c.args).mailbox, "Trash");
  Harness h2;
  c = PARSE_OK(h2, "a COPY $ Archive\r\n");
  EXPECT_TRUE(std::get<CopyMove>(c.args).set.saved);
  Harness h3;
  c = PARSE_OK(h3, "a UID EXPUNGE 3000:3002\r\n");
  ASSERT_TRUE(std::get<Expunge>(c.args).uids);
  EXPECT_EQ(parse_bad("a UID EXPUNGE\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a COPY 1\r\n").field, "syntax");
}

TEST(ImapCommand, IdQuotaSortThread) {
  Harness h;
  Command c = PARSE_OK(h, "a ID (\"name\" \"mbsync\" \"version\" NIL)\r\n");
  auto& id = std::get<Id>(c.args);
  ASSERT_EQ(id.fields.size(), 2u);
  EXPECT_FALSE(id.fields[1].second.has_value());
  Harness h2;
  c = PARSE_OK(h2, "a ID NIL\r\n");
  EXPECT_TRUE(std::get<Id>(c.args).fields.empty());
  Harness h3;
  c = PARSE_OK(h3, "a GETQUOTA \"\"\r\n");
  EXPECT_EQ(std::get<QuotaRoot>(c.args).root, "");
  Harness h4;
  c = PARSE_OK(h4, "a SETQUOTA \"\" (STORAGE 512 MESSAGE 1000)\r\n");
  EXPECT_EQ(std::get<SetQuota>(c.args).limits.size(), 2u);
  Harness h5;
  c = PARSE_OK(h5, "a UID SORT (REVERSE DATE SUBJECT) UTF-8 SINCE 1-Feb-1994\r\n");
  auto& so = std::get<Sort>(c.args);
  ASSERT_EQ(so.criteria.size(), 2u);
  EXPECT_TRUE(so.criteria[0].reverse);
  EXPECT_EQ(so.criteria[0].key, SortCriterion::Key::kDate);
  EXPECT_EQ(so.charset, "UTF-8");
  Harness h6;
  c = PARSE_OK(h6, "a THREAD ORDEREDSUBJECT UTF-8 ALL\r\n");
  EXPECT_EQ(std::get<Thread>(c.args).algorithm, Thread::Algorithm::kOrderedSubject);
  Harness h7;
  c = PARSE_OK(h7, "a UID THREAD REFERENCES US-ASCII UNSEEN\r\n");
  EXPECT_EQ(std::get<Thread>(c.args).algorithm, Thread::Algorithm::kReferences);
  EXPECT_EQ(parse_bad("a THREAD BOGUS UTF-8 ALL\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a SORT (BOGUS) UTF-8 ALL\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a SORT (DATE) UTF-8\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a ID (\"k\")\r\n").field, "syntax");
  EXPECT_EQ(parse_bad("a SETQUOTA \"\" (STORAGE)\r\n").field, "syntax");
}

TEST(ImapCommand, CaseInsensitiveKeywordsAndLiteralArguments) {
  Harness h;
  Command c = PARSE_OK(h, "a uid fetch 1:2 (flags body.peek[header.fields (subject)])\r\n");
  EXPECT_TRUE(c.uid);
  EXPECT_EQ(std::get<Fetch>(c.args).items.size(), 2u);
  Harness h2;
  c = PARSE_OK(h2, "a SELECT {5+}\r\nINBOX (condstore)\r\n");
  EXPECT_EQ(std::get<Select>(c.args).mailbox, "INBOX");
  EXPECT_TRUE(std::get<Select>(c.args).condstore);
  Harness h3;
  c = PARSE_OK(h3, "a SEARCH SUBJECT {11}\r\nhello world FROM \"x\"\r\n");
  auto& s = std::get<Search>(c.args);
  EXPECT_EQ(s.key.children[0].text, "hello world");
  EXPECT_EQ(s.key.children[1].text, "x");
  EXPECT_EQ(h3.continuations(), 1);
  Harness h4;
  c = PARSE_OK(h4, "a FETCH 1 BODY[1.2.3]<0.1>\r\n");
  EXPECT_EQ(std::get<Fetch>(c.args).items[0].section.part, (std::vector<uint32_t>{1, 2, 3}));
  // A literal announcement that is not at the end of a line is not a literal.
  EXPECT_EQ(parse_bad("a LOGIN {3}bob pw\r\n").field, "syntax");
}

TEST(ImapCommand, IdleDone) {
  EXPECT_TRUE(is_idle_done("DONE"));
  EXPECT_TRUE(is_idle_done("done"));
  EXPECT_FALSE(is_idle_done("DONE "));
  EXPECT_FALSE(is_idle_done("a DONE"));
}

TEST(ImapCommand, CommandNames) {
  EXPECT_EQ(command_name(CK::kUnselect), "UNSELECT");
  EXPECT_EQ(command_name(CK::kGetQuotaRoot), "GETQUOTAROOT");
}

}  // namespace
}  // namespace posthouse::imap
