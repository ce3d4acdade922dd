// The positional helpers of db.h: Stmt::bind_all and Row.
#include <gtest/gtest.h>

#include <tuple>

#include "store/sqlite/db.h"

namespace posthouse::store::sqlite {
namespace {

std::unique_ptr<Db> table() {
  auto db = std::move(*Db::open(":memory:"));
  EXPECT_TRUE(db->exec("CREATE TABLE t(i INTEGER, u INTEGER, b INTEGER, s TEXT, oi INTEGER, "
                       "os TEXT, bl BLOB)")
                  .ok());
  return db;
}

TEST(DbRow, BindAllBindsInOrderAndFlattensTuples) {
  auto db = table();
  auto ins = std::move(*db->prepare("INSERT INTO t VALUES(?, ?, ?, ?, ?, ?, ?)"));
  std::optional<int64_t> none;
  std::optional<std::string> text = "x";
  ASSERT_TRUE(ins.bind_all(int64_t{-5}, std::make_tuple(uint32_t{4000000000u}, true),
                           std::string("s'; DROP TABLE t;--"), none, text, "raw")
                  .run()
                  .ok());
  auto sel = std::move(*db->prepare("SELECT i, u, b, s, oi, os, bl FROM t"));
  ASSERT_TRUE(*sel.step());
  EXPECT_EQ(sel.col_int(0), -5);
  EXPECT_EQ(sel.col_int(1), 4000000000);
  EXPECT_EQ(sel.col_int(2), 1);
  EXPECT_EQ(sel.col_text(3), "s'; DROP TABLE t;--");
  EXPECT_TRUE(sel.col_null(4));
  EXPECT_EQ(sel.col_text(5), "x");
  EXPECT_EQ(sel.col_text(6), "raw");
}

TEST(DbRow, UnsignedValuesRoundTripThroughInt64) {
  auto db = table();
  auto ins = std::move(*db->prepare("INSERT INTO t(i, u) VALUES(?, ?)"));
  ASSERT_TRUE(ins.bind_all(uint64_t{1} << 40, uint32_t{7}).run().ok());
  auto sel = std::move(*db->prepare("SELECT i, u FROM t"));
  ASSERT_TRUE(*sel.step());
  Row r(sel);
  uint64_t big = 0;
  uint32_t small = 0;
  r.into(big, small);
  EXPECT_EQ(big, uint64_t{1} << 40);
  EXPECT_EQ(small, 7u);
}

TEST(DbRow, ReadsColumnsInOrderByTargetType) {
  auto db = table();
  ASSERT_TRUE(db->exec("INSERT INTO t VALUES(-3, 9, 2, 'name', NULL, 'o', x'00ff')").ok());
  auto sel = std::move(*db->prepare("SELECT i, u, b, s, oi, os, bl FROM t"));
  ASSERT_TRUE(*sel.step());
  int64_t i = 0;
  uint32_t u = 0;
  bool b = false;
  std::string s;
  std::optional<int64_t> oi = 1;
  std::optional<std::string> os;
  Row r(sel);
  r.into(i, u, b, s, oi, os);
  EXPECT_EQ(i, -3);
  EXPECT_EQ(u, 9u);
  EXPECT_TRUE(b);
  EXPECT_EQ(s, "name");
  EXPECT_FALSE(oi.has_value());
  EXPECT_EQ(os, "o");
  EXPECT_EQ(r.blob(), std::string("\0\xff", 2));

  Row typed(sel, 3);
  EXPECT_EQ(typed.text(), "name");
  EXPECT_EQ(typed.opt_i64(), std::nullopt);
  EXPECT_EQ(typed.opt_text(), "o");
  Row skipping(sel);
  EXPECT_EQ(skipping.skip(2).flag(), true);
  EXPECT_EQ(skipping.get<std::string>(), "name");
}

}  // namespace
}  // namespace posthouse::store::sqlite
