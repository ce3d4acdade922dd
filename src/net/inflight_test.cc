#include "net/inflight.h"

#include <gtest/gtest.h>

#include <utility>

namespace posthouse::net {
namespace {

TEST(InflightBudget, AdmitsWhileBelowTheBudgetAndCountsPastIt) {
  InflightBudget b(100);
  EXPECT_TRUE(b.admits());
  InflightBudget::Lease a(b);
  a.add(60);
  EXPECT_TRUE(b.admits());
  a.add(40);
  EXPECT_FALSE(b.admits());  // exactly at the budget: the next message waits
  a.add(50);                 // an admitted message keeps counting
  EXPECT_EQ(b.used(), 150u);
  a.release();
  EXPECT_EQ(b.used(), 0u);
  EXPECT_TRUE(b.admits());
}

TEST(InflightBudget, LeasesGiveBackOnDestructionAndMove) {
  InflightBudget b(1000);
  {
    InflightBudget::Lease x(b);
    x.add(10);
    InflightBudget::Lease y(b);
    y.add(20);
    EXPECT_EQ(b.used(), 30u);
    InflightBudget::Lease z = std::move(x);
    EXPECT_EQ(z.held(), 10u);
    EXPECT_EQ(x.held(), 0u);
    y = std::move(z);  // y's own 20 are given back first
    EXPECT_EQ(b.used(), 10u);
    EXPECT_EQ(y.held(), 10u);
  }
  EXPECT_EQ(b.used(), 0u);
}

TEST(InflightBudget, AnInactiveLeaseCountsNothing) {
  InflightBudget::Lease none;
  none.add(5);
  EXPECT_EQ(none.held(), 0u);
  EXPECT_FALSE(none.active());
}

}  // namespace
}  // namespace posthouse::net
