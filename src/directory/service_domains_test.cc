// directory::Service: domains (service_domains.cc).
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

class ServiceDomains : public World {};

TEST_F(ServiceDomains, PostmasterCannotRaiseItsOwnLimit) {
  Actor pm = as("postmaster@a.example");
  Limits l;
  l.max_mailboxes = 1000;
  EXPECT_EQ(code(svc().set_domain_limits(pm, "a.example", l)), Errc::kForbidden);
  EXPECT_FALSE(must(store().find_domain("a.example"), "a")->limits.max_mailboxes.has_value());
}

TEST_F(ServiceDomains, CustomerCannotTouchAnotherCustomersDomainById) {
  Actor boss = as("boss@acme.test");
  Id g = must(store().find_domain("g.example"), "g")->id;
  std::string ref = "#" + std::to_string(g);
  EXPECT_EQ(code(svc().get_domain(boss, ref)), Errc::kNotFound);
  EXPECT_EQ(code(svc().set_domain_limits(boss, ref, Limits{})), Errc::kNotFound);
  EXPECT_EQ(code(svc().create_mailbox(boss, {"z@g.example", "", "gstaff", {}, {}})),
            Errc::kNotFound);
  Id gina = must(store().find_mailbox("gina@g.example"), "gina")->id;
  EXPECT_EQ(code(svc().delete_mailbox(boss, "#" + std::to_string(gina))), Errc::kNotFound);
  EXPECT_EQ(must(store().get_mailbox(gina), "gina").status, "active");
}

TEST_F(ServiceDomains, IdnAndMixedCaseDomainsAreOneName) {
  Actor a = admin();
  auto d = svc().create_domain(a, {"acme", "Bücher.Example", {}, {}, ""});
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->name, "xn--bcher-kva.example");
  EXPECT_EQ(code(svc().create_domain(a, {"acme", "BÜCHER.example", {}, {}, ""})), Errc::kConflict);
  EXPECT_EQ(code(svc().create_domain(a, {"globex", "xn--bcher-kva.example", {}, {}, ""})),
            Errc::kConflict);
  EXPECT_EQ(code(svc().create_domain(a, {"acme", "A.EXAMPLE", {}, {}, ""})), Errc::kConflict);
  auto m = svc().create_mailbox(a, {"Jörg@BÜCHER.example", "Jörg", "staff", {}, {}});
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->address, "jörg@xn--bcher-kva.example");
  // ASCII letters fold; the non-ASCII ones are kept as given (SMTPUTF8 local parts).
  EXPECT_EQ(code(svc().create_mailbox(a, {"JöRG@bücher.example", "", "staff", {}, {}})),
            Errc::kConflict);
  auto u = svc().create_mailbox(a, {"用户@a.example", "", "staff", {}, {}});
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->address, "用户@a.example");
  EXPECT_EQ(code(svc().create_mailbox(a, {"\xe7\x94@a.example", "", "staff", {}, {}})),
            Errc::kInvalid);
}

TEST_F(ServiceDomains, DomainDeleteRestoreIsWholeAndPurgeIsSeparate) {
  Actor boss = as("boss@acme.test");
  must_ok(svc().delete_mailbox(boss, "carol@b.example"), "carol first");
  must(svc().create_mailbox(boss, {"dave@b.example", "", "staff", {}, {}}), "dave");
  EXPECT_EQ(code(svc().purge_domain(boss, "b.example")), Errc::kConflict);  // delete first
  must_ok(svc().delete_domain(boss, "b.example"), "delete");
  EXPECT_EQ(code(svc().create_domain(admin(), {"globex", "b.example", {}, {}, ""})),
            Errc::kConflict);  // name stays reserved
  EXPECT_EQ(code(svc().create_mailbox(boss, {"eve@b.example", "", "staff", {}, {}})),
            Errc::kConflict);
  must_ok(svc().restore_domain(boss, "b.example"), "restore");
  EXPECT_EQ(must(store().find_mailbox("dave@b.example"), "d")->status, "active");
  EXPECT_EQ(must(store().find_mailbox("carol@b.example"), "c")->status, "deleted");
  // Purge needs its own right: the postmaster holds delete/restore, not purge.
  must_ok(svc().delete_mailbox(boss, "dave@b.example"), "dave del");
  std::vector<Id> purged;
  Options o = testing::fast_options();
  o.on_mailbox_purged = [&](Id id) -> base::Status {
    purged.push_back(id);
    return {};
  };
  Conn c(path_, o, [this] { return now_; });
  Actor pm = must(c.svc->actor_for("postmaster@a.example"), "pm");
  must_ok(c.svc->delete_mailbox(pm, "bob@a.example"), "pm delete");
  EXPECT_EQ(code(c.svc->purge_mailbox(pm, "bob@a.example")), Errc::kForbidden);
  must_ok(c.svc->restore_mailbox(pm, "bob@a.example"), "pm restore");
  Id dave = must(store().find_mailbox("dave@b.example"), "d")->id;
  must_ok(c.svc->purge_mailbox(must(c.svc->actor_for("boss@acme.test"), "b"), "dave@b.example"),
          "purge");
  EXPECT_EQ(purged, std::vector<Id>{dave});
  EXPECT_FALSE(must(store().find_mailbox("dave@b.example"), "d").has_value());
}

}  // namespace
}  // namespace posthouse::directory
