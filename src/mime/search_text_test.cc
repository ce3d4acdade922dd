#include "mime/search_text.h"

#include <gtest/gtest.h>

#include "mime/message.h"

namespace posthouse::mime {
namespace {

std::string text_of(const std::string& raw, size_t max = kSearchTextMax) {
  return body_search_text(raw, parse(raw, Limits{}).parts, max);
}

TEST(SearchText, DecodesTextPartsAndSkipsAttachments) {
  std::string raw =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 au lait\r\n"
      "--b\r\nContent-Type: text/html; charset=iso-8859-1\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nPGI+Y2Fm6TwvYj4=\r\n"
      "--b\r\nContent-Type: application/octet-stream\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nc2VjcmV0IGJpbmFyeQ==\r\n"
      "--b--\r\n";
  std::string t = text_of(raw);
  EXPECT_NE(t.find("caf\xC3\xA9 au lait"), std::string::npos) << t;
  EXPECT_NE(t.find("<b>caf\xC3\xA9</b>"), std::string::npos) << t;  // latin-1 converted
  EXPECT_EQ(t.find("secret"), std::string::npos) << t;               // not a text part
}

TEST(SearchText, PlainMessageUnknownCharsetAndCap) {
  EXPECT_EQ(text_of("Subject: x\r\n\r\nhello\r\n"), "hello\r\n");
  // An unknown charset keeps the bytes rather than losing the text.
  EXPECT_EQ(text_of("Content-Type: text/plain; charset=x-nonsense\r\n\r\nabc\xFF\r\n"),
            "abc\xFF\r\n");
  EXPECT_EQ(text_of("Subject: x\r\n\r\n0123456789", 4), "0123");
}

}  // namespace
}  // namespace posthouse::mime
