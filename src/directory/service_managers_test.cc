// directory::Service: managers and their branding (service_managers.cc).
#include <gtest/gtest.h>

#include "directory/test_world.h"

namespace posthouse::directory {
namespace {

using base::Errc;
using testing::code;
using testing::must;
using testing::must_ok;
using testing::World;

class ServiceManagers : public World {};

TEST_F(ServiceManagers, ManagerCannotGrantItselfADomain) {
  Actor sm = as("sm@outside.test");
  auto r = svc().set_manager_domains(sm, "sm@outside.test", {"a.example", "b.example"});
  EXPECT_EQ(code(r), Errc::kForbidden);
  auto self = *must(store().find_principal("sm@outside.test"), "sm");
  EXPECT_EQ(self.domain_ids.size(), 1u);
  // A full manager may not widen a sibling either.
  Actor fm = as("fm@outside.test");
  EXPECT_EQ(code(svc().set_manager_domains(fm, "sm@outside.test", {"b.example"})),
            Errc::kForbidden);
  EXPECT_EQ(code(svc().create_manager(
                fm, {"", "new@x.test", "", ManagerKind::kFull, {}, {}, std::nullopt})),
            Errc::kForbidden);
}

TEST_F(ServiceManagers, BrandingComesFromTheManagerOrTheCustomerNeverThePlatform) {
  Id da = must(store().find_domain("a.example"), "a")->id;
  Branding cb;
  cb.product_name = "Acme Mail";
  cb.sender_address = "noreply@acme.test";
  must(svc().set_customer_branding(as("boss@acme.test"), "acme", cb), "cb");
  EXPECT_EQ(must(svc().branding_for_domain(da), "b").product_name, "Acme Mail");
  Branding mb;
  mb.product_name = "Reseller Mail";
  must(svc().set_manager_branding(as("boss@acme.test"), "sm@outside.test", mb), "mb");
  EXPECT_EQ(must(svc().branding_for_domain(da), "b").product_name, "Reseller Mail");
  EXPECT_EQ(code(svc().set_customer_branding(as("fm@outside.test"), "acme", cb)), Errc::kForbidden);
}

}  // namespace
}  // namespace posthouse::directory
