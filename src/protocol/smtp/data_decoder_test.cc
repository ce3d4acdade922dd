#include "protocol/smtp/data_decoder.h"

#include <gtest/gtest.h>

#include "protocol/smtp/reply.h"

namespace posthouse::smtp {
namespace {

using base::Errc;

struct Decoded {
  std::string body;
  size_t consumed = 0;
  bool done = false;
  base::Status status;
};

Decoded decode(std::string_view in, DataOptions o = {}, size_t chunk = 0) {
  DataDecoder d(o);
  Decoded r;
  if (chunk == 0) chunk = in.size() ? in.size() : 1;
  while (r.consumed < in.size() && !d.done()) {
    std::string_view piece = in.substr(r.consumed, chunk);
    size_t n = d.feed(piece, r.body);
    r.consumed += n;
    if (n < piece.size()) break;
  }
  r.done = d.done();
  r.status = d.result();
  return r;
}

TEST(DataDecoder, EndsOnCrlfDotCrlf) {
  auto r = decode("Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.body, "Subject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(r.consumed, std::string_view("Subject: hi\r\n\r\nbody\r\n.\r\n").size());
  EXPECT_TRUE(r.status.ok());
}

TEST(DataDecoder, EmptyMessage) {
  auto r = decode(".\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.body, "");
}

TEST(DataDecoder, DotUnstuffing) {
  auto r = decode("..leading dot\r\n...two\r\n..\r\nx.y\r\n.\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.body, ".leading dot\r\n..two\r\n.\r\nx.y\r\n");
}

TEST(DataDecoder, ByteAtATimeIsIdentical) {
  std::string in = "a\r\n..b\r\nc\rd\ne\r\n.\r\nNEXT";
  auto whole = decode(in);
  auto bytes = decode(in, {}, 1);
  EXPECT_EQ(whole.body, bytes.body);
  EXPECT_EQ(whole.consumed, bytes.consumed);
  EXPECT_TRUE(bytes.done);
  for (size_t chunk = 2; chunk < in.size(); ++chunk) {
    auto r = decode(in, {}, chunk);
    EXPECT_EQ(r.body, whole.body) << chunk;
    EXPECT_EQ(r.consumed, whole.consumed) << chunk;
  }
}

// SMTP smuggling (2023): none of these end the message; the smuggled commands become body text
// and the real end marker is still required.
struct Smuggle {
  const char* name;
  std::string payload;
};
const Smuggle kSmuggles[] = {
    {"LF.LF", "hi\n.\nMAIL FROM:<evil@x.y>\nRCPT TO:<v@z.w>\nDATA\nspoof\n.\n"},
    {"LF.CRLF", "hi\n.\r\nMAIL FROM:<evil@x.y>\r\nRCPT TO:<v@z.w>\r\nDATA\r\nspoof\r\n"},
    {"CRLF.LF", "hi\r\n.\nMAIL FROM:<evil@x.y>\r\n"},
    {"CR.CR", "hi\r.\rMAIL FROM:<evil@x.y>\r"},
    {"CR.CRLF", "hi\r.\r\nMAIL FROM:<evil@x.y>\r\n"},
    {"CRLF.CR", "hi\r\n.\rMAIL FROM:<evil@x.y>\r\n"},
    {"LF.CR", "hi\n.\rMAIL FROM:<evil@x.y>\r\n"},
    {"CRLF.NUL", std::string("hi\r\n.\0\r\nMAIL\r\n", 13)},
    {"CRCRLF.CRLF", "hi\r\r\n.\r\n"},
};

TEST(DataDecoder, SmugglingPayloadsNeverEndData) {
  for (const auto& s : kSmuggles) {
    std::string payload = s.payload;
    auto r = decode(payload);
    if (std::string_view(s.name) == "CRCRLF.CRLF") {
      // "\r\r\n" is a bare CR then CRLF: the line before "." did end in CRLF, so this IS the
      // legitimate end marker; the bare CR stays in the body.
      EXPECT_TRUE(r.done) << s.name;
      EXPECT_EQ(r.body, "hi\r\r\n");
      continue;
    }
    EXPECT_FALSE(r.done) << s.name;
    EXPECT_EQ(r.consumed, payload.size()) << s.name;
    // Then the real end marker finishes it, and the smuggled text is inside the body.
    auto full = decode(payload + "\r\n.\r\nRSET\r\n");
    EXPECT_TRUE(full.done) << s.name;
    EXPECT_EQ(full.consumed, payload.size() + 5) << s.name;
    if (payload.find("MAIL") != std::string::npos) {
      EXPECT_NE(full.body.find("MAIL"), std::string::npos) << s.name;
    }
  }
}

TEST(DataDecoder, BareLfNormalisedToCrlf) {
  auto r = decode("a\nb\r\n.\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.body, "a\r\nb\r\n");
  EXPECT_TRUE(r.status.ok());
  // "<LF>.<LF>" normalises to an empty content line, not the end.
  r = decode("a\n.\nb\r\n.\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.body, "a\r\n\r\nb\r\n");
}

TEST(DataDecoder, DotLineAfterBareLfIsNotTheEnd) {
  auto r = decode("a\n.\r\nb\r\n.\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.body, "a\r\n\r\nb\r\n");
}

TEST(DataDecoder, BareCrIsData) {
  auto r = decode("a\rb\r\r\n.\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.body, "a\rb\r\r\n");
}

TEST(DataDecoder, BareLfRejectModeKeepsReadingToTheEnd) {
  DataOptions o;
  o.bare_lf = BareLf::kReject;
  auto r = decode("ok\r\nbad\nmore\r\n.\r\nNEXT", o);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.consumed, std::string_view("ok\r\nbad\nmore\r\n.\r\n").size());
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error().field, "bare_lf");
  Reply rep = error_reply(r.status.error());
  EXPECT_EQ(rep.code, 554);
  EXPECT_EQ(rep.status, "5.6.0");
  EXPECT_TRUE(decode("ok\r\n.\r\n", o).status.ok());
}

TEST(DataDecoder, SizeLimitExactAndOneOver) {
  DataOptions o;
  o.max_bytes = 10;
  auto r = decode("12345678\r\n.\r\n", o);  // exactly 10 decoded bytes
  EXPECT_TRUE(r.done);
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(r.body.size(), 10u);
  r = decode("123456789\r\n.\r\nQUIT\r\n", o);  // 11
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.consumed, 14u);  // kept reading to the real end: replies stay in sync
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error().code, Errc::kTooLarge);
  EXPECT_EQ(error_reply(r.status.error()).code, 552);
  EXPECT_LE(r.body.size(), 10u);
}

TEST(DataDecoder, HugeBodyIsNotBufferedPastTheLimit) {
  DataOptions o;
  o.max_bytes = 1000;
  DataDecoder d(o);
  std::string out;
  std::string chunk(64 * 1024, 'x');
  chunk += "\r\n";
  for (int i = 0; i < 32; ++i) ASSERT_EQ(d.feed(chunk, out), chunk.size());
  EXPECT_LE(out.size(), 1000u);
  EXPECT_GT(d.size(), 2u * 1000 * 1000);
  d.feed(".\r\n", out);
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.result().error().code, Errc::kTooLarge);
}

TEST(DataDecoder, LineLengthLimit) {
  DataOptions o;
  o.max_line = 5;
  EXPECT_TRUE(decode("12345\r\n.\r\n", o).status.ok());
  auto r = decode("123456\r\n.\r\n", o);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.status.error().code, Errc::kLimit);
  EXPECT_EQ(error_reply(r.status.error()).code, 554);
}

TEST(DataDecoder, FeedAfterDoneConsumesNothingAndResetReuses) {
  DataDecoder d;
  std::string out;
  EXPECT_EQ(d.feed(".\r\nMAIL", out), 3u);
  EXPECT_EQ(d.feed("MAIL", out), 0u);
  d.reset();
  EXPECT_FALSE(d.done());
  EXPECT_EQ(d.feed("x\r\n.\r\n", out), 6u);
  EXPECT_EQ(out, "x\r\n");
}

TEST(DataDecoder, NulBytesPassThrough) {
  auto r = decode(std::string("a\0b\r\n.\r\n", 8));
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.body, std::string("a\0b\r\n", 5));
}

}  // namespace
}  // namespace posthouse::smtp
