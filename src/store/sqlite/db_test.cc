#include "store/sqlite/db.h"

#include <gtest/gtest.h>

#include "store/migrations.h"

namespace posthouse::store::sqlite {
namespace {

TEST(Db, MigratesAndBindsSafely) {
  auto db = Db::open(":memory:");
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_TRUE((*db)->migrate().ok());
  EXPECT_EQ(*(*db)->schema_version(), all_migrations().back().version);
  auto ins = (*db)->prepare("INSERT INTO meta(key, value) VALUES(?, ?)");
  ASSERT_TRUE(ins.ok());
  // SQL metacharacters are data, never SQL.
  ASSERT_TRUE(ins->bind(1, "k'; DROP TABLE meta;--").bind(2, "v").run().ok());
  auto sel = (*db)->prepare("SELECT value FROM meta WHERE key = ?");
  ASSERT_TRUE(sel.ok());
  sel->bind(1, "k'; DROP TABLE meta;--");
  ASSERT_TRUE(*sel->step());
  EXPECT_EQ(sel->col_text(0), "v");
}

TEST(Db, ConstraintIsConflictAndTxRollsBack) {
  auto db = std::move(*Db::open(":memory:"));
  ASSERT_TRUE(db->migrate().ok());
  {
    auto tx = Tx::begin(*db);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(db->exec("INSERT INTO meta VALUES('a','1')").ok());
  }  // rolled back
  auto cnt = std::move(*db->prepare("SELECT count(*) FROM meta"));
  ASSERT_TRUE(*cnt.step());
  EXPECT_EQ(cnt.col_int(0), 0);
  ASSERT_TRUE(db->exec("INSERT INTO meta VALUES('a','1')").ok());
  auto dup = db->exec("INSERT INTO meta VALUES('a','2')");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, base::Errc::kConflict);
}

}  // namespace
}  // namespace posthouse::store::sqlite
