// directory::Service: platform limits and the bootstrap of the platform admin
// (service_platform.cc).
#include <gtest/gtest.h>

#include "directory/test_world.h"

namespace posthouse::directory {
namespace {

using base::Errc;
using testing::code;
using testing::Conn;
using testing::must;
using testing::must_ok;
using testing::World;

class ServicePlatform : public World {};

TEST_F(ServicePlatform, PlatformLimitsCapEverything) {
  Actor a = Service::cli_admin();
  auto set = svc().set_platform_limits(a, Limits{{}, 7, {}, {}});  // the world has 6 mailboxes
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->usage.mailboxes, 6);
  // Stored, so another connection (the mail side, another API worker) sees it at once.
  Conn c(path_, testing::fast_options(), [this] { return now_; });
  EXPECT_EQ(must(c.svc->get_platform_limits(a), "get").limits.max_mailboxes.value_or(-1), 7);
  EXPECT_TRUE(c.svc->create_mailbox(a, {"p1@a.example", "", "staff", {}, {}}).ok());
  auto r = c.svc->create_mailbox(a, {"p2@b.example", "", "staff", {}, {}});
  EXPECT_EQ(code(r), Errc::kLimit);
  EXPECT_NE(r.error().message.find("the platform limit of 7 mailboxes is reached"),
            std::string::npos);
  EXPECT_EQ(code(c.svc->set_customer_limits(a, "acme", Limits{{}, 9, {}, {}})), Errc::kLimit);
  // Lowering below usage is allowed and blocks new ones; nothing existing is touched.
  must(svc().set_platform_limits(a, Limits{1, 2, {}, {}}), "lower");
  auto lowered = must(svc().get_platform_limits(a), "get");
  EXPECT_EQ(lowered.usage.mailboxes, 7);
  EXPECT_EQ(lowered.usage.domains, 3);
  auto dom = svc().create_domain(a, {"acme", "new.example", {}, {}, ""});
  EXPECT_EQ(code(dom), Errc::kLimit);
  EXPECT_NE(dom.error().message.find("the platform limit of 1 domains is reached"),
            std::string::npos);
  // Removing the cap (unset) lets creation go on.
  must(svc().set_platform_limits(a, Limits{}), "clear");
  EXPECT_TRUE(svc().create_domain(a, {"acme", "new.example", {}, {}, ""}).ok());
}

TEST_F(ServicePlatform, PlatformLimitsOnlyByThePlatformAdminAndAudited) {
  auto boss = svc().actor_for("boss@acme.test");
  ASSERT_TRUE(boss.ok());
  EXPECT_EQ(code(svc().set_platform_limits(*boss, Limits{1, {}, {}, {}})), Errc::kForbidden);
  EXPECT_EQ(code(svc().get_platform_limits(*boss)), Errc::kForbidden);
  auto pm = svc().actor_for("postmaster@a.example");
  ASSERT_TRUE(pm.ok());
  EXPECT_EQ(code(svc().set_platform_limits(*pm, Limits{1, {}, {}, {}})), Errc::kForbidden);
  EXPECT_FALSE(must(svc().get_platform_limits(Service::cli_admin()), "get").limits.max_domains);
  // Bad values name their field and change nothing.
  auto bad = svc().set_platform_limits(Service::cli_admin(), Limits{{}, -1, {}, {}});
  ASSERT_EQ(code(bad), Errc::kInvalid);
  EXPECT_EQ(bad.error().field, "max_mailboxes");
  EXPECT_FALSE(must(svc().get_platform_limits(Service::cli_admin()), "get").limits.max_mailboxes);
  must(svc().set_platform_limits(Service::cli_admin(), Limits{5, {}, {}, {}}), "set");
  auto recs = must(svc().list_audit(Service::cli_admin(), 1), "audit");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].verb, "platform.limits");
  EXPECT_EQ(recs[0].target, "platform");
  EXPECT_NE(recs[0].after.value_or("").find("\"max_domains\":5"), std::string::npos);
}

// The CLI's hidden `password bootstrap-admin`: the local operator only (platform.bootstrap),
// never a login, not even an admin one.
TEST_F(ServicePlatform, BootstrapAdminIsTheLocalOperatorsAlone) {
  must_ok(svc().bootstrap_admin(admin(), "root", "root-password-1"), "root");
  EXPECT_EQ(code(svc().bootstrap_admin(admin(), "root", "root-password-2")), Errc::kConflict);
  for (const char* login : {"root", "boss@acme.test", "postmaster@a.example"}) {
    auto st = svc().bootstrap_admin(as(login), "root2", "root-password-3");
    ASSERT_EQ(code(st), Errc::kForbidden) << login;
    EXPECT_EQ(st.error().message, "not allowed: platform.bootstrap");
  }
  EXPECT_FALSE(must(store().find_principal("root2"), "root2").has_value());
  EXPECT_EQ(must(svc().login("root", "root-password-1"), "login").role, Role::kAdmin);
}

TEST(ServiceBootstrap, CreatesThePlatformAdminOnce) {
  auth::PasswordOptions o;
  o.opslimit = 1;
  o.memlimit = 8192;
  Options opts = testing::fast_options();
  opts.password = o;
  Conn c(":memory:", opts, nullptr);
  ASSERT_TRUE(bootstrap_platform_admin(*c.store, "admin", "generated-password-1", o).ok());
  EXPECT_EQ(code(bootstrap_platform_admin(*c.store, "admin", "generated-password-2", o)),
            Errc::kConflict);
  auto a = c.svc->login("admin", "generated-password-1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->role, Role::kAdmin);
  EXPECT_TRUE(c.svc->create_customer(*a, {"c", "", {}, {}}).ok());
  EXPECT_EQ(code(c.svc->login("admin", "generated-password-2")), Errc::kUnauthenticated);
}

}  // namespace
}  // namespace posthouse::directory
