#include "mime/preview.h"

#include <glib.h>
#include <gtest/gtest.h>

#include "mime/message.h"

namespace posthouse::mime {
namespace {

std::string preview_of(const std::string& raw) {
  auto parts = parse(raw, Limits{}).parts;
  const PartEntry* p = preview_part(parts);
  if (p == nullptr) return "<none>";
  return make_preview(*p, std::string_view(raw).substr(p->body.offset, p->body.length));
}

TEST(Preview, PlainTextDecodedQuotesDroppedOneLine) {
  EXPECT_EQ(preview_of("Subject: x\r\n\r\nHello   Bob,\r\n\r\n> old text\r\n  >> older\r\n"
                       "See you\ttomorrow.\r\n"),
            "Hello Bob, See you tomorrow.");
  EXPECT_EQ(preview_of("Content-Type: text/plain; charset=iso-8859-1\r\n"
                       "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9 cr=E8me\r\n"),
            "caf\xC3\xA9 cr\xC3\xA8me");
  EXPECT_EQ(preview_of("Subject: x\r\n\r\n\r\n  \r\n"), "");
}

TEST(Preview, PrefersPlainOverHtmlAndReducesHtml) {
  std::string alt =
      "Content-Type: multipart/alternative; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/html\r\n\r\n<p>html part</p>\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nplain part\r\n--b--\r\n";
  EXPECT_EQ(preview_of(alt), "plain part");
  std::string html =
      "Content-Type: text/html\r\n\r\n<html><head><title>T</title><style>p{}</style></head>"
      "<body><header>Top</header><script>alert(1)</script><!-- hidden -->"
      "<p>Fish &amp; chips&nbsp;&#233;&#x41;</p><p>next</p></body></html>\r\n";
  EXPECT_EQ(preview_of(html), "Top Fish & chips \xC3\xA9" "A next");
  EXPECT_EQ(preview_of("Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                       "iVBORw0KGgo=\r\n"),
            "<none>");
}

TEST(Preview, CutAtTwoHundredCharactersOnACharacterBoundary) {
  std::string body;
  for (int i = 0; i < 300; ++i) body += "\xC3\xA9";  // 300 two-byte characters
  std::string p = preview_of("Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n");
  EXPECT_EQ(p.size(), 2 * kPreviewChars);
  EXPECT_TRUE(g_utf8_validate(p.data(), static_cast<gssize>(p.size()), nullptr));
  // Invalid UTF-8 and control characters never reach the client.
  std::string bad = preview_of("Subject: x\r\n\r\nab\xFF\x01\x7F" "cd\r\n");
  EXPECT_TRUE(g_utf8_validate(bad.data(), static_cast<gssize>(bad.size()), nullptr));
  EXPECT_EQ(bad.find('\x01'), std::string::npos);
  EXPECT_EQ(bad.find('\x7F'), std::string::npos);
}

}  // namespace
}  // namespace posthouse::mime
