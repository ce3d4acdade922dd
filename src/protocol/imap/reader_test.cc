#include "protocol/imap/reader.h"

#include <gtest/gtest.h>

#include "protocol/imap/response.h"

namespace posthouse::imap {
namespace {

using base::Errc;
using S = CommandReader::Status;

TEST(ImapReader, SimpleAndPipelined) {
  CommandReader r;
  std::string in = "a1 NOOP\r\na2 CAPABILITY\r\na3 LOG";
  auto st = r.feed(in);
  EXPECT_EQ(st.status, S::kCommand);
  EXPECT_EQ(st.consumed, 9u);
  EXPECT_EQ(r.raw(), "a1 NOOP");
  EXPECT_EQ(r.tag(), "a1");
  in.erase(0, st.consumed);
  st = r.feed(in);
  EXPECT_EQ(st.status, S::kCommand);
  EXPECT_EQ(r.raw(), "a2 CAPABILITY");
  in.erase(0, st.consumed);
  st = r.feed(in);
  EXPECT_EQ(st.status, S::kNeedMore);
  EXPECT_EQ(st.consumed, in.size());
  EXPECT_TRUE(r.in_progress());
  st = r.feed("OUT\r\n");
  EXPECT_EQ(st.status, S::kCommand);
  EXPECT_EQ(r.raw(), "a3 LOGOUT");
}

TEST(ImapReader, BareLfAndCrSplitAcrossChunks) {
  CommandReader r;
  EXPECT_EQ(r.feed("a NOOP\r").status, S::kNeedMore);
  EXPECT_EQ(r.feed("\n").status, S::kCommand);
  EXPECT_EQ(r.raw(), "a NOOP");
  EXPECT_EQ(r.feed("b NOOP\n").status, S::kCommand);
  EXPECT_EQ(r.raw(), "b NOOP");
}

TEST(ImapReader, BlankLinesAreIgnored) {
  CommandReader r;
  auto st = r.feed("\r\n\r\na NOOP\r\n");
  EXPECT_EQ(st.status, S::kCommand);
  EXPECT_EQ(r.raw(), "a NOOP");
}

TEST(ImapReader, SynchronisingLiteralNeedsContinuation) {
  CommandReader r;
  auto st = r.feed("a LOGIN {3}\r\n");
  EXPECT_EQ(st.status, S::kContinue);
  EXPECT_EQ(CommandReader::continuation(), "+ Ready for literal data\r\n");
  st = r.feed("bob {2}\r\n");
  EXPECT_EQ(st.status, S::kContinue);
  EXPECT_EQ(st.consumed, 9u);
  st = r.feed("pw\r\n");
  EXPECT_EQ(st.status, S::kCommand);
  EXPECT_EQ(r.raw(), "a LOGIN {3}\r\nbob {2}\r\npw");
}

TEST(ImapReader, NonSynchronisingAndBinaryLiterals) {
  CommandReader r;
  auto st = r.feed("a APPEND INBOX {5+}\r\nhello\r\nb APPEND INBOX ~{3}\r\n");
  EXPECT_EQ(st.status, S::kCommand);
  EXPECT_EQ(r.raw(), "a APPEND INBOX {5+}\r\nhello");
  st = r.feed("b APPEND INBOX ~{3}\r\n");
  EXPECT_EQ(st.status, S::kContinue);
  st = r.feed(std::string("\0\1\2\r\n", 5));
  EXPECT_EQ(st.status, S::kCommand);
}

TEST(ImapReader, LiteralContainingCrlfAndBracesIsData) {
  CommandReader r;
  std::string msg = "Subject: x {9}\r\n\r\nbody\r\n";
  std::string wire = "a APPEND INBOX {" + std::to_string(msg.size()) + "+}\r\n" + msg + "\r\n";
  auto st = r.feed(wire);
  EXPECT_EQ(st.status, S::kCommand);
  EXPECT_EQ(st.consumed, wire.size());
}

TEST(ImapReader, UnterminatedLiteralWaits) {
  CommandReader r;
  EXPECT_EQ(r.feed("a APPEND INBOX {100+}\r\nonly a few bytes").status, S::kNeedMore);
  EXPECT_TRUE(r.in_progress());
}

TEST(ImapReader, HugeLiteralIsRefusedWithoutContinuation) {
  CommandReader r;
  auto st = r.feed("a APPEND INBOX {2147483648}\r\na2 NOOP\r\n");
  EXPECT_EQ(st.status, S::kError);
  EXPECT_FALSE(r.fatal());
  EXPECT_EQ(r.tag(), "a");
  EXPECT_EQ(st.consumed, 29u);
  EXPECT_EQ(error_response(r.tag(), r.error()), "a BAD [TOOBIG] Literal too large\r\n");
  // The stream is still in sync: the next command is read normally.
  st = r.feed("a2 NOOP\r\n");
  EXPECT_EQ(st.status, S::kCommand);
  EXPECT_EQ(r.raw(), "a2 NOOP");
}

TEST(ImapReader, AbsurdLiteralSizes) {
  for (const char* wire : {"a LOGIN {-1}\r\n", "a LOGIN {}\r\n", "a LOGIN {1x}\r\n",
                           "a LOGIN {99999999999999999999999}\r\n"}) {
    CommandReader r;
    auto st = r.feed(wire);
    EXPECT_EQ(st.status, S::kError) << wire;
    EXPECT_FALSE(r.fatal()) << wire;
    EXPECT_EQ(error_response(r.tag(), r.error()).substr(0, 6), "a BAD ") << wire;
  }
  CommandReader r;
  EXPECT_EQ(r.feed("a LOGIN {4294967296}\r\n").status, S::kError);
  // A malformed non-synchronising literal: its data may already be on the wire.
  CommandReader r2;
  EXPECT_EQ(r2.feed("a LOGIN {+}\r\n").status, S::kError);
  EXPECT_TRUE(r2.fatal());
}

TEST(ImapReader, AppendLimitIsConfigurable) {
  ReaderLimits l;
  l.max_literal = 10;
  CommandReader r(l);
  EXPECT_EQ(r.feed("a APPEND INBOX {10}\r\n").status, S::kContinue);
  r = CommandReader(l);
  auto st = r.feed("a APPEND INBOX {11}\r\n");
  EXPECT_EQ(st.status, S::kError);
  EXPECT_EQ(r.error().code, Errc::kTooLarge);
}

TEST(ImapReader, OversizedNonSyncLiteralIsFatal) {
  ReaderLimits l;
  l.max_nonsync_literal = 4096;  // LITERAL-
  CommandReader r(l);
  auto st = r.feed("a APPEND INBOX {4097+}\r\n");
  EXPECT_EQ(st.status, S::kError);
  EXPECT_TRUE(r.fatal());
  EXPECT_EQ(r.feed("a APPEND INBOX {4096+}\r\n").status, S::kNeedMore);
}

TEST(ImapReader, LongLineIsFatal) {
  ReaderLimits l;
  l.max_line = 100;
  CommandReader r(l);
  auto st = r.feed("a " + std::string(200, 'x'));
  EXPECT_EQ(st.status, S::kError);
  EXPECT_TRUE(r.fatal());
  EXPECT_EQ(r.error().field, "line");
  CommandReader r2(l);
  std::string exact = "a " + std::string(98, 'x') + "\r\n";
  EXPECT_EQ(r2.feed(exact).status, S::kCommand);
  // Split across many feeds, still counted.
  CommandReader r3(l);
  S last = S::kNeedMore;
  for (int i = 0; i < 20 && last == S::kNeedMore; ++i) last = r3.feed("xxxxxxxxxx").status;
  EXPECT_EQ(last, S::kError);
}

TEST(ImapReader, TooManyLiteralsAndTotalSize) {
  ReaderLimits l;
  l.max_literals = 2;
  CommandReader r(l);
  EXPECT_EQ(r.feed("a X {1+}\r\nx {1+}\r\ny {1+}\r\n").status, S::kError);
  ReaderLimits l2;
  l2.max_command = 100;
  CommandReader r2(l2);
  EXPECT_EQ(r2.feed("a APPEND INBOX {200}\r\n").status, S::kError);
}

TEST(ImapReader, ByteAtATimeGivesSameCommand) {
  std::string wire = "t1 LOGIN {3}\r\nbob \"pw\"\r\n";
  CommandReader r;
  int continues = 0;
  for (size_t i = 0; i < wire.size(); ++i) {
    auto st = r.feed(wire.substr(i, 1));
    EXPECT_EQ(st.consumed, 1u);
    if (st.status == S::kContinue) ++continues;
    if (i + 1 < wire.size()) {
      EXPECT_NE(st.status, S::kCommand);
    } else {
      EXPECT_EQ(st.status, S::kCommand);
    }
  }
  EXPECT_EQ(continues, 1);
  EXPECT_EQ(r.raw(), "t1 LOGIN {3}\r\nbob \"pw\"");
}

TEST(ImapReader, TagFallbackForGarbage) {
  CommandReader r;
  r.feed("+bad {-1}\r\n");
  EXPECT_EQ(r.tag(), "*");
}

}  // namespace
}  // namespace posthouse::imap
