#include "mime/cte.h"

#include <gtest/gtest.h>

namespace posthouse::mime {
namespace {

TEST(ImapCte, IdentityEncodings) {
  EXPECT_EQ(*decode_cte("7bit", "a\r\nb"), "a\r\nb");
  EXPECT_EQ(*decode_cte("8BIT", "\xc3\xa9"), "\xc3\xa9");
  EXPECT_EQ(*decode_cte("", "x"), "x");
}

TEST(ImapCte, Base64SkipsLineBreaksAndStopsAtPadding) {
  EXPECT_EQ(*decode_cte("base64", "aGVs\r\nbG8A\r\nAQ==\r\n"), std::string("hello\0\x01", 7));
  EXPECT_EQ(*decode_cte("BASE64", "Zm9v"), "foo");
  EXPECT_EQ(*decode_cte("base64", ""), "");
}

TEST(ImapCte, QuotedPrintable) {
  EXPECT_EQ(*decode_cte("quoted-printable", "caf=C3=A9 =\r\nsoft"), "caf\xc3\xa9 soft");
  EXPECT_EQ(*decode_cte("quoted-printable", "a=ZZb="), "a=ZZb=");
  EXPECT_EQ(*decode_cte("quoted-printable", "x=3d"), "x=");
}

TEST(ImapCte, UnknownEncodingIsInvalid) {
  auto r = decode_cte("x-uuencode", "abc");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, base::Errc::kInvalid);
}

// Every split of the input into two slices decodes to the same bytes as the whole.
TEST(ImapCte, DecoderInSlicesMatchesWhole) {
  const std::pair<const char*, std::string> cases[] = {
      {"quoted-printable", "caf=C3=A9 =\r\nsoft=\nx=3d=ZZ end="},
      {"base64", "aGVs\r\nbG8A\r\nAQ==\r\nZm9v"},
      {"7bit", "plain\r\ntext"},
  };
  for (const auto& [enc, in] : cases) {
    std::string whole = *decode_cte(enc, in);
    for (size_t cut = 0; cut <= in.size(); ++cut) {
      auto d = CteDecoder::make(enc);
      ASSERT_TRUE(d.ok());
      std::string out;
      d->feed(std::string_view(in).substr(0, cut), false, out);
      d->feed(std::string_view(in).substr(cut), true, out);
      EXPECT_EQ(out, whole) << enc << " cut at " << cut;
    }
  }
  EXPECT_FALSE(CteDecoder::make("x-uuencode").ok());
}

}  // namespace
}  // namespace posthouse::mime
