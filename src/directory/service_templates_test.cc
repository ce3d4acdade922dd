// directory::Service: templates and their versions (service_templates.cc).
#include <gtest/gtest.h>

#include "directory/test_world.h"

namespace posthouse::directory {
namespace {

using base::Errc;
using testing::code;
using testing::must;
using testing::must_ok;
using testing::World;

class ServiceTemplates : public World {};

TEST_F(ServiceTemplates, TemplatesAreVersionedAndMailboxesRememberTheirVersion) {
  Actor boss = as("boss@acme.test");
  TemplateSettings s;
  s.quota_bytes = 5 << 20;
  auto t = must(svc().edit_template(boss, "", "staff", s), "edit");
  EXPECT_EQ(t.version, 2);
  auto m = must(svc().create_mailbox(boss, {"v2@a.example", "", "staff", {}, {}}), "v2");
  EXPECT_EQ(m.template_version, 2);
  EXPECT_EQ(m.quota_bytes, 5 << 20);
  EXPECT_EQ(must(store().find_mailbox("alice@a.example"), "a")->template_version, 1);
  EXPECT_EQ(must(store().get_template_version(t.id, 1), "v1").quota_bytes, 100 << 20);
  EXPECT_EQ(code(svc().edit_template(as("postmaster@a.example"), "", "staff", s)),
            Errc::kForbidden);
  EXPECT_EQ(code(svc().edit_template(boss, "", "basic", s)), Errc::kNotFound);
}

// Platform-wide templates are created under platform.template (the platform admin's alone),
// named "-" or, for an actor without a customer, nothing.
TEST_F(ServiceTemplates, PlatformTemplatesNeedPlatformTemplate) {
  TemplateSettings s;
  for (const char* login : {"boss@acme.test", "fm@outside.test"}) {
    auto r = svc().create_template(as(login), "-", "everyone", s);
    ASSERT_EQ(code(r), Errc::kForbidden) << login;
    EXPECT_EQ(r.error().message, "not allowed: platform.template");
  }
  EXPECT_FALSE(must(store().find_template(0, "everyone"), "t").has_value());
  auto t = must(svc().create_template(admin(), "", "everyone", s), "platform");
  EXPECT_EQ(t.customer_id, 0);
  EXPECT_EQ(must(svc().list_audit(admin(), 1), "audit").front().verb, "template.edit");
  // A customer's own template under the same name is its own business.
  EXPECT_TRUE(svc().create_template(as("boss@acme.test"), "", "everyone", s).ok());
}

}  // namespace
}  // namespace posthouse::directory
