#include "base/result.h"

#include <gtest/gtest.h>

#include "base/ids.h"
#include "base/strings.h"

namespace posthouse::base {
namespace {

Result<int> half(int x) {
  if (x % 2) return make_error(Errc::kInvalid, "odd");
  return x / 2;
}

Result<int> quarter(int x) {
  int h = PH_TRY(half(x));
  return PH_TRY(half(h));
}

TEST(Result, ValueAndError) {
  auto r = quarter(8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 2);
  auto e = quarter(6);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, Errc::kInvalid);
  EXPECT_EQ(e.error().message, "odd");
  EXPECT_EQ(errc_name(Errc::kNotFound), "not_found");
}

TEST(Result, VoidStatus) {
  auto f = [](bool fail) -> Status {
    if (fail) return make_error(Errc::kIo, "disk");
    return {};
  };
  auto g = [&](bool fail) -> Status {
    PH_CHECK(f(fail));
    return {};
  };
  EXPECT_TRUE(g(false).ok());
  EXPECT_EQ(g(true).error().code, Errc::kIo);
}

TEST(Strings, Helpers) {
  EXPECT_EQ(to_lower("AbC"), "abc");
  EXPECT_TRUE(iequals("EHLO", "ehlo"));
  EXPECT_FALSE(iequals("EHLO", "ehl"));
  EXPECT_EQ(trim("  x y \r\n"), "x y");
  auto parts = split("a,b,,c", ',');
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[2], "");
  EXPECT_TRUE(has_ctl_breaks("a\r\nb"));
  EXPECT_FALSE(has_ctl_breaks("plain name"));
}

TEST(Ids, RandomValues) {
  EXPECT_EQ(random_hex(8).size(), 16u);
  EXPECT_NE(random_token(16), random_token(16));
  EXPECT_EQ(random_password().size(), 20u);
}

}  // namespace
}  // namespace posthouse::base
