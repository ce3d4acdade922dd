#include "protocol/pop3/codec.h"

#include <gtest/gtest.h>

#include <random>

namespace posthouse::pop3 {
namespace {

using base::Errc;

Command ok(std::string_view line) {
  auto r = parse_command(line);
  EXPECT_TRUE(r.ok()) << line << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Command{};
}

base::Error bad(std::string_view line, ParserOptions o = {}) {
  auto r = parse_command(line, o);
  EXPECT_FALSE(r.ok()) << line;
  return r.ok() ? base::Error{} : r.error();
}

TEST(Pop3Command, AllVerbs) {
  EXPECT_EQ(ok("USER bob@example.com").arg, "bob@example.com");
  EXPECT_EQ(ok("pass secret with spaces").arg, "secret with spaces");
  EXPECT_EQ(ok("STAT").verb, Verb::kStat);
  EXPECT_FALSE(ok("LIST").msg.has_value());
  EXPECT_EQ(ok("LIST 3").msg, 3u);
  EXPECT_EQ(ok("RETR 1").msg, 1u);
  EXPECT_EQ(ok("DELE 4294967295").msg, 4294967295u);
  EXPECT_EQ(ok("NOOP").verb, Verb::kNoop);
  EXPECT_EQ(ok("RSET").verb, Verb::kRset);
  EXPECT_EQ(ok("QUIT").verb, Verb::kQuit);
  Command top = ok("TOP 2 0");
  EXPECT_EQ(top.msg, 2u);
  EXPECT_EQ(top.lines, 0u);
  EXPECT_EQ(ok("UIDL").verb, Verb::kUidl);
  EXPECT_EQ(ok("UIDL 7").msg, 7u);
  EXPECT_EQ(ok("CAPA").verb, Verb::kCapa);
  EXPECT_EQ(ok("STLS").verb, Verb::kStls);
  Command auth = ok("AUTH PLAIN AGJvYgBwdw==");
  EXPECT_EQ(auth.arg, "PLAIN");
  EXPECT_EQ(auth.initial, "AGJvYgBwdw==");
  EXPECT_EQ(ok("AUTH").arg, "");  // lists mechanisms (RFC 5034 4)
  EXPECT_FALSE(ok("AUTH PLAIN").initial.has_value());
}

TEST(Pop3Command, BadNumbersAndArgs) {
  for (const char* l : {"RETR",
                        "RETR -1",
                        "RETR 0",
                        "RETR +1",
                        "RETR 0x1",
                        "RETR 1 2",
                        "RETR a",
                        "RETR 4294967296",
                        "RETR 99999999999",
                        "TOP 1",
                        "TOP 1 -5",
                        "TOP -1 5",
                        "TOP 1 x",
                        "DELE",
                        "LIST 0",
                        "LIST -3",
                        "UIDL x",
                        "STAT 1",
                        "QUIT now",
                        "USER",
                        "USER a b",
                        "PASS",
                        "LIST  1",
                        "LIST ",
                        "AUTH a b c"}) {
    EXPECT_EQ(bad(l).field, "syntax") << l;
  }
}

TEST(Pop3Command, UnknownApopAndBounds) {
  EXPECT_EQ(bad("XTND").field, "command");
  auto apop = bad("APOP bob 0123456789abcdef");
  EXPECT_EQ(apop.code, Errc::kUnavailable);
  EXPECT_EQ(error_reply(apop), "-ERR APOP is not supported\r\n");
  std::string line = "USER " + std::string(248, 'a');  // 253 + CRLF = 255
  ok(line);
  auto e = bad(line + "a");
  EXPECT_EQ(e.code, Errc::kTooLarge);
  EXPECT_EQ(error_reply(e), "-ERR Command line too long\r\n");
  EXPECT_EQ(bad(std::string("USER a\0b", 8)).field, "line");
  ParserOptions o;
  o.max_line = 1024;
  EXPECT_TRUE(parse_command(line + "aaaa", o).ok());
}

TEST(Pop3Reply, OkErrAndCodes) {
  EXPECT_EQ(ok_reply("2 320"), "+OK 2 320\r\n");
  EXPECT_EQ(ok_reply(""), "+OK\r\n");
  EXPECT_EQ(err_reply("IN-USE", "locked"), "-ERR [IN-USE] locked\r\n");
  EXPECT_EQ(err_reply("", "a\r\n+OK"), "-ERR a  +OK\r\n");
  EXPECT_EQ(error_reply(base::Error(Errc::kConflict, "x", "lock")),
            "-ERR [IN-USE] Mailbox is locked by another session\r\n");
  EXPECT_EQ(error_reply(base::Error(Errc::kUnauthenticated, "x")),
            "-ERR [AUTH] Authentication failed\r\n");
  EXPECT_EQ(error_reply(base::Error(Errc::kForbidden, "x")).substr(0, 11), "-ERR [AUTH]");
  EXPECT_EQ(error_reply(base::Error(Errc::kLimit, "x", "login")).substr(0, 18),
            "-ERR [LOGIN-DELAY]");
  EXPECT_EQ(error_reply(base::Error(Errc::kIo, "/secret/path")),
            "-ERR [SYS/TEMP] Temporary failure, try again later\r\n");
  EXPECT_EQ(error_reply(base::Error(Errc::kUnavailable, "x")).substr(0, 15), "-ERR [SYS/PERM]");
  EXPECT_EQ(error_reply(base::Error(Errc::kNotFound, "x")), "-ERR No such message\r\n");
}

TEST(Pop3Reply, Capa) {
  CapaOptions o;
  o.stls = true;
  o.sasl = {"PLAIN"};
  EXPECT_EQ(capa_reply(o),
            "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
            "PIPELINING\r\nUSER\r\nSASL PLAIN\r\nSTLS\r\nIMPLEMENTATION Posthouse\r\n.\r\n");
  o.user = false;
  o.stls = false;
  EXPECT_EQ(capa_reply(o).find("USER"), std::string::npos);
}

std::string encode(std::string_view msg, size_t chunk) {
  MultilineEncoder enc;
  std::string out;
  for (size_t i = 0; i < msg.size(); i += chunk) enc.feed(msg.substr(i, chunk), out);
  enc.finish(out);
  return out;
}

TEST(Pop3Multiline, ByteStuffing) {
  std::string msg = ".starts with dot\r\nok\r\n..two\r\n.\r\nend\r\n";
  std::string want = "..starts with dot\r\nok\r\n...two\r\n..\r\nend\r\n.\r\n";
  for (size_t chunk = 1; chunk <= msg.size(); ++chunk) EXPECT_EQ(encode(msg, chunk), want) << chunk;
}

TEST(Pop3Multiline, TerminatesUnterminatedData) {
  EXPECT_EQ(encode("no newline", 100), "no newline\r\n.\r\n");
  EXPECT_EQ(encode("ends in cr\r", 100), "ends in cr\r\n.\r\n");
  EXPECT_EQ(encode("", 100), ".\r\n");
  EXPECT_EQ(encode("bare\n.lf\n", 100), "bare\r\n..lf\r\n.\r\n");
  EXPECT_EQ(encode("cr\r+\n", 100), "cr\r+\r\n.\r\n");  // fuzz regression: bare LF at end
  EXPECT_EQ(encode("a\r\nb\n", 1), "a\r\nb\r\n.\r\n");
}

// The definition, a byte at a time: what the run-copying encoder must produce.
std::string reference_encode(std::string_view msg) {
  std::string out;
  bool line_start = true, cr = false;
  for (char c : msg) {
    if (line_start && c == '.') out += '.';
    if (c == '\n' && !cr) out += '\r';
    out += c;
    line_start = c == '\n';
    cr = c == '\r';
  }
  if (!msg.empty() && !line_start) out += cr ? "\n" : "\r\n";
  return out + ".\r\n";
}

TEST(Pop3Multiline, MatchesTheByteAtATimeDefinitionForAnyChunking) {
  std::mt19937 rng(1939);
  const char alphabet[] = {'.', '\r', '\n', 'a', ' '};
  for (int round = 0; round < 2000; ++round) {
    std::string msg(rng() % 40, 'x');
    for (auto& c : msg) c = alphabet[rng() % sizeof alphabet];
    MultilineEncoder enc;
    std::string out;
    for (size_t i = 0; i < msg.size();) {
      size_t n = 1 + rng() % 7;
      enc.feed(std::string_view(msg).substr(i, n), out);
      i += n;
    }
    enc.finish(out);
    ASSERT_EQ(out, reference_encode(msg)) << "input: " << testing::PrintToString(msg);
  }
}

TEST(Pop3Top, Prefix) {
  std::string m = "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n";
  EXPECT_EQ(top_prefix(m, 0), "A: 1\r\nB: 2\r\n\r\n");
  EXPECT_EQ(top_prefix(m, 2), "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n");
  EXPECT_EQ(top_prefix(m, 99), m);
  EXPECT_EQ(top_prefix("A: 1\r\n", 3), "A: 1\r\n");
  EXPECT_EQ(top_prefix("A: 1\r\n\r\nno end", 5), "A: 1\r\n\r\nno end");
}

}  // namespace
}  // namespace posthouse::pop3
