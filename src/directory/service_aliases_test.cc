// directory::Service: forwards and the autoresponder (service_aliases.cc); aliases are
// resolved in service_mail_test.cc.
#include <gtest/gtest.h>

#include "directory/test_world.h"

namespace posthouse::directory {
namespace {

using base::Errc;
using testing::code;
using testing::must;
using testing::must_ok;
using testing::World;

class ServiceAliases : public World {};

TEST_F(ServiceAliases, ForwardingNeedsTheTemplatePrivilege) {
  TemplateSettings nofwd;
  nofwd.services.forwarding = false;
  must(svc().create_template(admin(), "acme", "nofwd", nofwd), "t");
  must(svc().create_mailbox(admin(), {"n@a.example", "", "nofwd", "user-password", {}}), "n");
  Actor n = as("n@a.example");
  EXPECT_EQ(code(svc().set_forward(n, "n@a.example", {"x@home.test"}, true)), Errc::kForbidden);
  EXPECT_EQ(code(svc().set_forward(admin(), "n@a.example", {"x@home.test"}, true)),
            Errc::kForbidden);
  Actor alice = as("alice@a.example");
  EXPECT_TRUE(svc().set_forward(alice, "alice@a.example", {"x@home.test"}, true).ok());
  EXPECT_EQ(code(svc().set_forward(alice, "alice@a.example", {"alice@a.example"}, true)),
            Errc::kInvalid);
}

TEST_F(ServiceAliases, AutoresponderSelfServiceIsAuditedAndHeaderSafe) {
  Actor alice = as("alice@a.example");
  Autoresponder r{true, "Away", "Back Monday.\nRegards", 100, 200};
  must(svc().set_autoresponder(alice, "alice@a.example", r), "set");
  auto got = must(svc().get_autoresponder(alice, "alice@a.example"), "get");
  EXPECT_TRUE(got.enabled);
  EXPECT_EQ(got.subject, "Away");
  EXPECT_EQ(got.end, 200);
  auto m = must(svc().get_mailbox(admin(), "alice@a.example"), "mb");
  EXPECT_NE(m.settings_json.find("\"autoresponder\""), std::string::npos);
  r.subject = "Away\r\nBcc: victim@x.test";
  auto bad = svc().set_autoresponder(alice, "alice@a.example", r);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "subject");
  // Another user cannot touch it; it does not even exist for them.
  r.subject = "Away";
  EXPECT_EQ(svc().set_autoresponder(as("bob@a.example"), "alice@a.example", r).error().code,
            base::Errc::kNotFound);
  EXPECT_EQ(must(svc().list_audit(admin(), 1), "audit")[0].verb, "autoresponder.edit");
}

}  // namespace
}  // namespace posthouse::directory
