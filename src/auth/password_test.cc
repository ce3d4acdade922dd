#include "auth/password.h"

#include <gtest/gtest.h>

namespace posthouse::auth {
namespace {

PasswordOptions fast() {
  PasswordOptions o;
  o.opslimit = 1;     // crypto_pwhash_OPSLIMIT_MIN
  o.memlimit = 8192;  // crypto_pwhash_MEMLIMIT_MIN: tests stay quick
  return o;
}

TEST(Password, HashAndVerifyArgon2id) {
  auto h = hash_password("correct horse battery", fast());
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(h->find("correct"), std::string::npos);
  auto ok = verify_password("correct horse battery", *h, fast());
  EXPECT_TRUE(ok.ok);
  EXPECT_FALSE(ok.needs_rehash);
  EXPECT_FALSE(verify_password("correct horse batterY", *h, fast()).ok);
  EXPECT_FALSE(verify_password("", *h, fast()).ok);
}

TEST(Password, StrongerParametersAskForRehash) {
  auto h = hash_password("correct horse battery", fast());
  ASSERT_TRUE(h.ok());
  PasswordOptions stronger = fast();
  stronger.opslimit = 3;
  auto r = verify_password("correct horse battery", *h, stronger);
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(r.needs_rehash);
}

TEST(Password, ImportedArgon2idWithPrefixVerifiesAndNeedsRehash) {
  auto h = hash_password("imported-secret", fast());
  ASSERT_TRUE(h.ok());
  auto r = verify_password("imported-secret", "{ARGON2ID}" + *h, fast());
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(r.needs_rehash);
  EXPECT_FALSE(verify_password("imported-secreT", "{ARGON2ID}" + *h, fast()).ok);
}

// Vectors made with Python's crypt module (glibc/libxcrypt), independent of this code.
constexpr const char* kSha512 =
    "$6$saltsalt$sCQNb0n0eItJPFL06KtUypdT1zy.VMlT/MZwElDru6Byiq4ssjsNMg6ll831lj9pOHtIwYhpn7fE2Y8V"
    "xuEET.";
constexpr const char* kBcrypt = "$2b$04$zkQLBxw4k52BQVhvtrZwM.XTr5VOQYns8XDuv0mAN2sH87pDY8sci";

TEST(Password, ImportedSha512Crypt) {
  auto r = verify_password("secret-pass", std::string("{SHA512-CRYPT}") + kSha512, fast());
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(r.needs_rehash);
  EXPECT_TRUE(verify_password("secret-pass", kSha512, fast()).ok);
  EXPECT_FALSE(verify_password("secret-pasS", std::string("{SHA512-CRYPT}") + kSha512, fast()).ok);
}

TEST(Password, ImportedBlfCryptIncluding2yPrefix) {
  EXPECT_TRUE(verify_password("secret-pass", std::string("{BLF-CRYPT}") + kBcrypt, fast()).ok);
  std::string y = kBcrypt;
  y[2] = 'y';  // Dovecot/PHP write $2y$; same algorithm
  auto r = verify_password("secret-pass", "{BLF-CRYPT}" + y, fast());
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(r.needs_rehash);
  EXPECT_FALSE(verify_password("wrong-pass", "{BLF-CRYPT}" + y, fast()).ok);
}

TEST(Password, MismatchedSchemeUnknownSchemeAndGarbageNeverVerify) {
  EXPECT_FALSE(verify_password("secret-pass", std::string("{BLF-CRYPT}") + kSha512, fast()).ok);
  EXPECT_FALSE(verify_password("secret-pass", "{PLAIN}secret-pass", fast()).ok);
  EXPECT_FALSE(verify_password("secret-pass", "{MD5-CRYPT}$1$abc$def", fast()).ok);
  EXPECT_FALSE(verify_password("secret-pass", "$6$", fast()).ok);
  EXPECT_FALSE(verify_password("secret-pass", "$argon2id$garbage", fast()).ok);
  EXPECT_FALSE(verify_password("secret-pass", "{", fast()).ok);
  EXPECT_FALSE(verify_password("secret-pass", "", fast()).ok);
  EXPECT_FALSE(verify_password("!", kDisabledHash, fast()).ok);
  EXPECT_FALSE(verify_password(std::string("secret-pass\0x", 13), kSha512, fast()).ok);
}

TEST(Password, Policy) {
  PasswordOptions o = fast();
  EXPECT_TRUE(check_password_policy("long enough pw", o).ok());
  auto shortp = check_password_policy("short", o);
  ASSERT_FALSE(shortp.ok());
  EXPECT_EQ(shortp.error().code, base::Errc::kInvalid);
  EXPECT_EQ(shortp.error().field, "password");
  EXPECT_EQ(shortp.error().message.find("short"), std::string::npos);  // no echo of the secret
  EXPECT_FALSE(check_password_policy("aaaaaaaaaaaaaaa", o).ok());
  EXPECT_FALSE(check_password_policy("has\nnewline-in-it", o).ok());
  EXPECT_FALSE(check_password_policy(std::string(2000, 'x') + "y", o).ok());
  o.min_length = 4;
  EXPECT_TRUE(check_password_policy("abcd", o).ok());
  EXPECT_TRUE(check_password_policy("pässwörter-ü", o).ok());
}

}  // namespace
}  // namespace posthouse::auth
