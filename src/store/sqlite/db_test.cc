#include "store/sqlite/db.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

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

TEST(Db, FinishedStatementsAreReusedNotReparsed) {
  auto db = std::move(*Db::open(":memory:"));
  ASSERT_TRUE(db->exec("CREATE TABLE t(k TEXT PRIMARY KEY, v TEXT)").ok());
  for (int i = 0; i < 10; ++i) {
    auto ins = std::move(*db->prepare("INSERT INTO t VALUES(?, ?)"));
    ASSERT_TRUE(ins.bind(1, std::to_string(i)).bind(2, "v" + std::to_string(i)).run().ok());
  }
  EXPECT_EQ(db->statement_cache().misses, 1u);
  EXPECT_EQ(db->statement_cache().hits, 9u);

  // Two live statements of the same text are distinct; each keeps its own row position.
  auto a = std::move(*db->prepare("SELECT v FROM t ORDER BY k"));
  auto b = std::move(*db->prepare("SELECT v FROM t ORDER BY k"));
  ASSERT_TRUE(*a.step());
  ASSERT_TRUE(*a.step());
  ASSERT_TRUE(*b.step());
  EXPECT_EQ(a.col_text(0), "v1");
  EXPECT_EQ(b.col_text(0), "v0");
}

TEST(Db, ReusedStatementStartsFreshWithNoBindings) {
  auto db = std::move(*Db::open(":memory:"));
  ASSERT_TRUE(db->exec("CREATE TABLE t(k TEXT, v TEXT); INSERT INTO t VALUES('a','1')").ok());
  {
    auto s = std::move(*db->prepare("SELECT count(*) FROM t WHERE k = ?"));
    s.bind(1, "a");
    ASSERT_TRUE(*s.step());
    EXPECT_EQ(s.col_int(0), 1);
  }  // left mid-result: reset on the way back to the cache
  auto s = std::move(*db->prepare("SELECT count(*) FROM t WHERE k = ?"));
  EXPECT_EQ(db->statement_cache().hits, 1u);
  ASSERT_TRUE(*s.step());  // the old binding is gone: k = NULL matches nothing
  EXPECT_EQ(s.col_int(0), 0);
}

TEST(Db, UnfinishedReadDoesNotBlockWritersOnceReturned) {
  // A cached statement must not keep its read snapshot: a writer on another connection
  // sees no lock, and the reader sees the new row on its next use.
  auto dir = testing::TempDir() + "/stmt_cache_" + std::to_string(::getpid()) + ".db";
  std::remove(dir.c_str());
  auto r = std::move(*Db::open(dir));
  auto w = std::move(*Db::open(dir));
  ASSERT_TRUE(w->exec("CREATE TABLE t(x); INSERT INTO t VALUES(1),(2)").ok());
  {
    auto s = std::move(*r->prepare("SELECT count(*) FROM t"));
    ASSERT_TRUE(*s.step());
    EXPECT_EQ(s.col_int(0), 2);
  }
  ASSERT_TRUE(w->exec("INSERT INTO t VALUES(3)").ok());
  auto s = std::move(*r->prepare("SELECT count(*) FROM t"));
  ASSERT_TRUE(*s.step());
  EXPECT_EQ(s.col_int(0), 3);
  std::remove(dir.c_str());
}

TEST(Db, DynamicSqlCannotGrowTheCacheWithoutBound) {
  auto db = std::move(*Db::open(":memory:"));
  for (size_t i = 0; i < Db::kMaxCachedStatements * 3; ++i) {
    auto s = std::move(*db->prepare("SELECT " + std::to_string(i)));
    ASSERT_TRUE(*s.step());
    EXPECT_EQ(s.col_int(0), static_cast<int64_t>(i));
  }
  EXPECT_LE(db->statement_cache().cached, Db::kMaxCachedStatements);
  EXPECT_LE(db->statement_cache().free.size(), Db::kMaxCachedStatements + 1);
}

TEST(Db, StatementMayOutliveItsConnection) {
  Stmt kept;
  {
    auto db = std::move(*Db::open(":memory:"));
    kept = std::move(*db->prepare("SELECT 1"));
  }
  // Destroying `kept` now finalizes it (nothing to return to); ASan checks the rest.
  SUCCEED();
}

TEST(Db, FailedPrepareIsAnErrorAndLeavesNoEntry) {
  auto db = std::move(*Db::open(":memory:"));
  auto bad = db->prepare("SELEKT nonsense");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(db->statement_cache().free.empty());
}

}  // namespace
}  // namespace posthouse::store::sqlite
