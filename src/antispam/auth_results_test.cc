#include "antispam/auth_results.h"

#include <gtest/gtest.h>

namespace posthouse::antispam {
namespace {

TEST(AuthservId, TokenQuotedStringAndComments) {
  EXPECT_EQ(authserv_id_of(" mx.example.org; spf=pass").value(), "mx.example.org");
  EXPECT_EQ(authserv_id_of("mx.example.org 1; none").value(), "mx.example.org");
  EXPECT_EQ(authserv_id_of(" (a comment (nested)) \"mx.example.org\"; dkim=pass").value(),
            "mx.example.org");
  EXPECT_EQ(authserv_id_of("\r\n\tmx.example.org;").value(), "mx.example.org");
  EXPECT_EQ(authserv_id_of(" \"quoted \\\"id\\\"\";").value(), "quoted \"id\"");
}

TEST(AuthservId, NoneWhenMalformed) {
  EXPECT_FALSE(authserv_id_of(""));
  EXPECT_FALSE(authserv_id_of("   "));
  EXPECT_FALSE(authserv_id_of("; spf=pass"));
  EXPECT_FALSE(authserv_id_of(" (unterminated comment mx.example.org;"));
  EXPECT_FALSE(authserv_id_of(" \"unterminated"));
  EXPECT_FALSE(authserv_id_of(" \"\"; none"));  // an empty id claims nothing
  // Comments nested deeper than the bound are refused, not followed.
  EXPECT_FALSE(authserv_id_of(std::string(9, '(') + std::string(9, ')') + " mx.example.org"));
  EXPECT_TRUE(authserv_id_of(std::string(8, '(') + std::string(8, ')') + " mx.example.org"));
}

TEST(MethodResult, ReadsOneMethodsResultFromAResinfoList) {
  std::string p =
      "mx.lists.example; spf=pass smtp.mailfrom=a.example; dkim=fail (bad sig) header.d=a.example;"
      "\r\n\tdmarc=PASS (p=reject) header.from=a.example";
  EXPECT_EQ(method_result(p, "dmarc"), "pass");
  EXPECT_EQ(method_result(p, "DKIM"), "fail");
  EXPECT_EQ(method_result(p, "arc"), std::nullopt);
  // The authserv-id part is not a resinfo; ';' inside comments and quotes does not split.
  EXPECT_EQ(method_result("dmarc=pass; spf=none", "dmarc"), std::nullopt);
  EXPECT_EQ(method_result("id; spf=none (a;dmarc=pass) x=\"b;dmarc=pass\"", "dmarc"), std::nullopt);
  EXPECT_EQ(method_result("id; (c) dmarc (v) = (w) fail", "dmarc"), "fail");
  EXPECT_EQ(method_result("id; dkim/1=pass", "dkim"), "pass");
  EXPECT_EQ(method_result("id; dmarc=", "dmarc"), std::nullopt);
  EXPECT_EQ(method_result("id; dmarcx=pass", "dmarc"), std::nullopt);
  EXPECT_EQ(method_result("", "dmarc"), std::nullopt);
}

TEST(HeaderEnd, FindsTheEmptyLine) {
  EXPECT_EQ(header_end("A: b\r\n\r\nbody"), 8u);
  EXPECT_EQ(header_end("A: b\n\nbody"), 6u);
  EXPECT_EQ(header_end("A: b\r\n"), 6u);  // no body: the whole message
  EXPECT_EQ(header_end("\r\nbody"), 2u);
}

TEST(StripClaims, RemovesOnlyFieldsWithOurId) {
  std::string header =
      "Received: from a\r\n"
      "Authentication-Results: MX.Example.ORG;\r\n"
      "\tspf=pass smtp.mailfrom=forged.example\r\n"
      "authentication-results : (c) mx.example.org; dkim=pass\r\n"
      "Authentication-Results: other.example.net; spf=fail\r\n"
      "Authentication-Results: mx.example.org.evil; spf=pass\r\n"
      "Subject: hi\r\n"
      "\r\n";
  std::size_t removed = 0;
  std::string out = strip_claims(header, "mx.example.org", &removed);
  EXPECT_EQ(removed, 2u);
  EXPECT_EQ(out,
            "Received: from a\r\n"
            "Authentication-Results: other.example.net; spf=fail\r\n"
            "Authentication-Results: mx.example.org.evil; spf=pass\r\n"
            "Subject: hi\r\n"
            "\r\n");
}

TEST(StripClaims, SpamFieldsOnlyWhenAsked) {
  std::string header =
      "Received: from a\r\n"
      "X-Spam-Status: No, score=-100\r\n"
      "x-spam-action : no action\r\n"
      "X-Spam-Flag: NO\r\n"
      "X-Spam-Statuses: kept\r\n"
      "Subject: hi\r\n"
      "\r\n";
  std::size_t removed = 0;
  EXPECT_EQ(strip_claims(header, "mx.example.org", &removed), header);
  EXPECT_EQ(removed, 0u);
  EXPECT_EQ(strip_claims(header, "mx.example.org", &removed, true),
            "Received: from a\r\n"
            "X-Spam-Flag: NO\r\n"
            "X-Spam-Statuses: kept\r\n"
            "Subject: hi\r\n"
            "\r\n");
  EXPECT_EQ(removed, 2u);
}

TEST(StripClaims, KeepsEverythingElseByteForByte) {
  std::string header = "From: a@b\nX-Odd:\tvalue\n  folded\nnot a field line\n\n";
  std::size_t removed = 9;
  EXPECT_EQ(strip_claims(header, "mx.example.org", &removed), header);
  EXPECT_EQ(removed, 0u);
  // A last field without a line end is removed as well.
  EXPECT_EQ(strip_claims("From: a@b\r\nAuthentication-Results: mx.example.org; none",
                         "mx.example.org"),
            "From: a@b\r\n");
}

}  // namespace
}  // namespace posthouse::antispam
