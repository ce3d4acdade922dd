#include "mime/dkim_canonical.h"

#include <gtest/gtest.h>

namespace posthouse::mime {
namespace {

// RFC 6376 section 3.4.6: the example message in both forms.
constexpr std::string_view kRfcExample =
    "A: X\r\n"
    "B : Y\t\r\n"
    "\tZ  \r\n"
    "\r\n"
    " C \r\n"
    "D \t E\r\n"
    "\r\n"
    "\r\n";

std::string header_block(DkimCanon c, const DkimSplit& s) {
  std::string out;
  for (const auto& f : s.fields) out += dkim_canonical_header(c, f.name, f.value);
  return out;
}

TEST(DkimCanonical, Rfc6376Section346Relaxed) {
  auto s = dkim_split(kRfcExample, 100);
  ASSERT_EQ(s.fields.size(), 2u);
  EXPECT_EQ(header_block(DkimCanon::kRelaxed, s), "a:X\r\nb:Y Z\r\n");
  EXPECT_EQ(dkim_canonical_body(DkimCanon::kRelaxed, s.body), " C\r\nD E\r\n");
}

TEST(DkimCanonical, Rfc6376Section346Simple) {
  auto s = dkim_split(kRfcExample, 100);
  EXPECT_EQ(header_block(DkimCanon::kSimple, s), "A: X\r\nB : Y\t\r\n\tZ  \r\n");
  EXPECT_EQ(dkim_canonical_body(DkimCanon::kSimple, s.body), " C \r\nD \t E\r\n");
}

TEST(DkimCanonical, RelaxedBody) {
  EXPECT_EQ(dkim_relaxed_body(""), "");
  EXPECT_EQ(dkim_relaxed_body("\r\n\r\n"), "");
  EXPECT_EQ(dkim_relaxed_body("no newline"), "no newline\r\n");
  EXPECT_EQ(dkim_relaxed_body("a\r\n\r\nb\r\n"), "a\r\n\r\nb\r\n");
  EXPECT_EQ(dkim_relaxed_body("a \t\n \t\n"), "a\r\n");  // bare LF; a WSP-only line is empty
  // A line holding a lone CR is data, not an empty line, so it is not trailing blank space
  // (the dkim_fuzz oracle once took it for one: corpus/dkim/regression-lone-cr-last-line).
  EXPECT_EQ(dkim_relaxed_body("a \n\r\n\r\r\n"), "a\r\n\r\n\r\r\n");
}

TEST(DkimCanonical, SimpleBody) {
  EXPECT_EQ(dkim_canonical_body(DkimCanon::kSimple, ""), "\r\n");  // RFC 6376 3.4.3
  EXPECT_EQ(dkim_canonical_body(DkimCanon::kSimple, "\r\n\r\n"), "\r\n");
  EXPECT_EQ(dkim_canonical_body(DkimCanon::kSimple, "x  \n\n"), "x  \r\n");
  EXPECT_EQ(dkim_canonical_body(DkimCanon::kSimple, "no newline"), "no newline\r\n");
  EXPECT_EQ(dkim_canonical_body(DkimCanon::kSimple, " \r\n"), " \r\n");  // WSP is data
}

TEST(DkimCanonical, SplitReadsFoldedFieldsAndFindsTheBody) {
  auto s = dkim_split("Subject: a\n  b\nX-Junk\nTo: c\r\n\r\nbody\r\n", 100);
  ASSERT_EQ(s.fields.size(), 2u);
  EXPECT_EQ(s.fields[0].name, "Subject");
  EXPECT_EQ(s.fields[0].value, " a\r\n  b");
  EXPECT_EQ(s.fields[1].name, "To");
  EXPECT_EQ(s.body, "body\r\n");
  EXPECT_FALSE(s.too_many_fields);
  // No empty line: no body.
  EXPECT_EQ(dkim_split("A: b\r\n", 100).body, "");
  // The body starts after the first empty line, even when a CRLF pair comes later.
  EXPECT_EQ(dkim_split("A: b\n\nx\r\n\r\ny", 100).body, "x\r\n\r\ny");
}

TEST(DkimCanonical, SplitStopsAtTheFieldLimit) {
  auto s = dkim_split("A: 1\r\nB: 2\r\n\tmore\r\nC: 3\r\n\tcont\r\n\r\nbody", 2);
  ASSERT_EQ(s.fields.size(), 2u);
  EXPECT_EQ(s.fields[1].value, " 2\r\n\tmore");
  EXPECT_TRUE(s.too_many_fields);
  EXPECT_EQ(s.body, "body");
}

TEST(DkimCanonical, RelaxedHeader) {
  EXPECT_EQ(dkim_relaxed_header("A", " X"), "a:X\r\n");
  EXPECT_EQ(dkim_relaxed_header("B ", " Y\t\r\n\tZ  "), "b:Y Z\r\n");
  EXPECT_EQ(dkim_relaxed_header("Subject", ""), "subject:\r\n");
}

}  // namespace
}  // namespace posthouse::mime
