// directory::Service: customers (service_customers.cc).
#include <gtest/gtest.h>

#include "directory/test_world.h"

namespace posthouse::directory {
namespace {

using base::Errc;
using testing::code;
using testing::must;
using testing::must_ok;
using testing::World;

class ServiceCustomers : public World {};

TEST_F(ServiceCustomers, CustomersAreDeletedOnlyWhenEmpty) {
  EXPECT_EQ(code(svc().delete_customer(as("boss@acme.test"), "acme")), Errc::kForbidden);
  EXPECT_EQ(code(svc().delete_customer(admin(), "globex")), Errc::kConflict);
  must_ok(svc().delete_domain(admin(), "g.example"), "del");
  must_ok(svc().purge_domain(admin(), "g.example"), "purge");
  must_ok(svc().delete_customer(admin(), "globex"), "delete");
  EXPECT_FALSE(must(store().find_customer("globex"), "g").has_value());
  EXPECT_FALSE(must(store().find_principal("ceo@globex.test"), "ceo").has_value());
  EXPECT_FALSE(must(store().find_principal("gm@outside.test"), "gm").has_value());
}

}  // namespace
}  // namespace posthouse::directory
