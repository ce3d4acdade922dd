#include "protocol/imap/mutf7.h"

#include <gtest/gtest.h>

namespace posthouse::imap {
namespace {

TEST(Mutf7, RfcExamples) {
  // RFC 3501 5.1.3: "~peter/mail/台北/日本語"
  const char* utf8 = "~peter/mail/\xE5\x8F\xB0\xE5\x8C\x97/\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E";
  EXPECT_EQ(*mutf7_encode(utf8), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  EXPECT_EQ(*mutf7_decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-"), utf8);
  EXPECT_EQ(*mutf7_encode("Tom & Jerry"), "Tom &- Jerry");
  EXPECT_EQ(*mutf7_decode("Tom &- Jerry"), "Tom & Jerry");
  EXPECT_EQ(*mutf7_encode("Entw\xC3\xBC rfe"), "Entw&APw- rfe");
  EXPECT_EQ(*mutf7_decode("Entw&APw-rfe"), "Entw\xC3\xBCrfe");
}

TEST(Mutf7, SurrogatePairsRoundTrip) {
  std::string emoji = "Inbox \xF0\x9F\x98\x80!";
  auto enc = mutf7_encode(emoji);
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(*mutf7_decode(*enc), emoji);
}

TEST(Mutf7, RejectsNonCanonicalAndInvalid) {
  for (const char* bad : {
           "&",                   // unterminated
           "&U,BTFw",             // unterminated shift
           "&-&-&",               // trailing unterminated
           "&AGE-",               // 'a' encoded: printable ASCII must be direct
           "&ACY-",               // '&' encoded
           "&-",                  // fine actually? (decodes to "&") -- checked below
           "&U,BTFw-&ZeVnLIqe-",  // adjacent shifts must be merged
           "&--",                 // "&-" then "-" is fine; see below
           "&Jjo!-",              // invalid base64 char
           "&2D0-",               // lone high surrogate
           "&3gA-",               // lone low surrogate
           "&AOk",                // unterminated
           "&AOkA-",              // non-zero / extra padding bits
           "&AAA-",               // NUL
           "a\x01b",              // control char
           "caf\xC3\xA9",         // raw 8-bit
           "&,,,,-",              // U+FFFF + padding garbage
       }) {
    std::string_view s(bad);
    if (s == "&-" || s == "&--") continue;
    EXPECT_FALSE(mutf7_decode(s).ok()) << s;
  }
  EXPECT_EQ(*mutf7_decode("&-"), "&");
  EXPECT_EQ(*mutf7_decode("&--"), "&-");
  EXPECT_EQ(mutf7_decode("&AGE-").error().field, "mailbox");
}

TEST(Mutf7, EncodeRejectsBadUtf8AndControls) {
  EXPECT_FALSE(mutf7_encode("bad\xC3").ok());
  EXPECT_FALSE(mutf7_encode(std::string("a\0b", 3)).ok());
  EXPECT_FALSE(mutf7_encode("a\nb").ok());
}

TEST(Mutf7, EveryBmpCharacterRoundTrips) {
  for (uint32_t cp = 0x80; cp < 0x10000; cp += 7) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    std::string u;
    if (cp < 0x800) {
      u += static_cast<char>(0xC0 | (cp >> 6));
      u += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      u += static_cast<char>(0xE0 | (cp >> 12));
      u += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      u += static_cast<char>(0x80 | (cp & 0x3F));
    }
    std::string name = "x" + u + "y" + u + u;
    auto enc = mutf7_encode(name);
    ASSERT_TRUE(enc.ok()) << cp;
    auto dec = mutf7_decode(*enc);
    ASSERT_TRUE(dec.ok()) << cp << " " << *enc;
    EXPECT_EQ(*dec, name);
  }
}

TEST(MailboxName, Checks) {
  EXPECT_TRUE(check_mailbox_name("INBOX").ok());
  EXPECT_TRUE(check_mailbox_name("Archive/2024/Q1").ok());
  EXPECT_TRUE(check_mailbox_name("a.b..c").ok());
  for (const char* bad :
       {"", "/lead", "trail/", "a//b", "../etc", "a/../b", "a/./b", ".", "..", "a\tb", "bad\xC3"}) {
    EXPECT_FALSE(check_mailbox_name(bad).ok()) << bad;
  }
  EXPECT_FALSE(check_mailbox_name(std::string("a\0b", 3)).ok());
  EXPECT_EQ(check_mailbox_name(std::string(2000, 'a')).error().code, base::Errc::kTooLarge);
  EXPECT_TRUE(check_mailbox_name("a//b", 0).ok());
}

}  // namespace
}  // namespace posthouse::imap
