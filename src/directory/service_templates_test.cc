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

}  // namespace
}  // namespace posthouse::directory
