#include "protocol/imap/response.h"

#include <gtest/gtest.h>

namespace posthouse::imap {
namespace {

using base::Errc;

TEST(ImapResponse, TaggedAndUntagged) {
  std::string out;
  append_tagged(out, "a1", Cond::kOk, "READ-WRITE", "SELECT completed");
  append_tagged(out, "a2", Cond::kNo, "", "nope");
  append_status(out, Cond::kBye, "", "Logging out");
  append_untagged(out, "3 EXISTS");
  append_continuation(out, "Ready");
  EXPECT_EQ(out,
            "a1 OK [READ-WRITE] SELECT completed\r\na2 NO nope\r\n* BYE Logging out\r\n"
            "* 3 EXISTS\r\n+ Ready\r\n");
}

TEST(ImapResponse, TextCannotInjectLines) {
  std::string out;
  append_tagged(out, "a", Cond::kNo, "", "bad\r\n* 1 EXISTS");
  EXPECT_EQ(out, "a NO bad  * 1 EXISTS\r\n");
}

TEST(ImapResponse, StringForms) {
  auto s = [](std::string_view v, bool utf8 = false) {
    std::string out;
    append_astring(out, v, utf8);
    return out;
  };
  EXPECT_EQ(s("INBOX"), "INBOX");
  EXPECT_EQ(s(""), "\"\"");
  EXPECT_EQ(s("NIL"), "\"NIL\"");
  EXPECT_EQ(s("Sent Items"), "\"Sent Items\"");
  EXPECT_EQ(s("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(s("two\r\nlines"), "{10}\r\ntwo\r\nlines");
  EXPECT_EQ(s("caf\xC3\xA9"), "{5}\r\ncaf\xC3\xA9");
  EXPECT_EQ(s("caf\xC3\xA9", true), "\"caf\xC3\xA9\"");
  EXPECT_EQ(s("bad\xC3", true), "{4}\r\nbad\xC3");
  EXPECT_EQ(s(std::string("a\0b", 3)), std::string("~{3}\r\na\0b", 9));
  std::string out;
  append_nstring(out, std::nullopt);
  out += ' ';
  append_nstring(out, std::string_view("x"));
  EXPECT_EQ(out, "NIL \"x\"");
}

TEST(ImapResponse, FlagList) {
  std::string out;
  append_flag_list(out, {"\\Seen", "$Junk"});
  out += ' ';
  append_flag_list(out, {});
  EXPECT_EQ(out, "(\\Seen $Junk) ()");
}

TEST(ImapResponse, ErrorMapping) {
  EXPECT_EQ(error_response("a", base::Error(Errc::kInvalid, "Unknown command", "syntax")),
            "a BAD Unknown command\r\n");
  EXPECT_EQ(error_response("a", base::Error(Errc::kNotFound, "secret path /var/x")),
            "a NO [NONEXISTENT] No such mailbox or message\r\n");
  EXPECT_EQ(error_response("a", base::Error(Errc::kConflict, "x", "mailbox")),
            "a NO [ALREADYEXISTS] Mailbox already exists\r\n");
  EXPECT_EQ(error_response("a", base::Error(Errc::kForbidden, "x")),
            "a NO [NOPERM] Permission denied\r\n");
  EXPECT_EQ(error_response("a", base::Error(Errc::kUnauthenticated, "x")),
            "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
  EXPECT_EQ(error_response("a", base::Error(Errc::kLimit, "x", "quota")),
            "a NO [OVERQUOTA] Quota exceeded\r\n");
  EXPECT_EQ(error_response("a", base::Error(Errc::kLimit, "x")), "a NO [LIMIT] Limit exceeded\r\n");
  EXPECT_EQ(error_response("a", base::Error(Errc::kTooLarge, "x")), "a NO [TOOBIG] Too large\r\n");
  EXPECT_EQ(error_response("a", base::Error(Errc::kTemporary, "x")).substr(0, 18),
            "a NO [UNAVAILABLE]");
  EXPECT_EQ(error_response("a", base::Error(Errc::kIo, "disk /x")),
            "a NO [SERVERBUG] Internal error\r\n");
  EXPECT_EQ(error_response("a", base::Error(Errc::kInvalid, "Bad UTF-7", "mailbox")),
            "a NO [CANNOT] Bad UTF-7\r\n");
  EXPECT_EQ(error_response("", base::Error(Errc::kInvalid, "x", "syntax")), "* BAD x\r\n");
}

}  // namespace
}  // namespace posthouse::imap
