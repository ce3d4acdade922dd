// directory::Service: recipient resolution for the mail side (service_mail.cc).
#include <gtest/gtest.h>

#include "directory/test_world.h"

namespace posthouse::directory {
namespace {

using base::Errc;
using testing::code;
using testing::must;
using testing::must_ok;
using testing::World;

class ServiceMail : public World {};

TEST_F(ServiceMail, ResolveAliasesForwardsCatchallDomainAliasesLoops) {
  Actor a = admin();
  Id alice = must(store().find_mailbox("alice@a.example"), "a")->id;
  Id bob = must(store().find_mailbox("bob@a.example"), "b")->id;
  auto r = must(svc().resolve_recipient("Alice@A.Example"), "alice");
  EXPECT_EQ(r.mailboxes, std::vector<Id>{alice});
  EXPECT_EQ(must(svc().resolve_recipient("alice+news@a.example"), "plus").mailboxes,
            std::vector<Id>{alice});
  must(svc().set_alias(a, "team@a.example",
                       {"alice@a.example", "bob@a.example", "partner@elsewhere.test"}),
       "team");
  r = must(svc().resolve_recipient("team@a.example"), "team");
  EXPECT_EQ(r.mailboxes, (std::vector<Id>{alice, bob}));
  EXPECT_EQ(r.external, std::vector<std::string>{"partner@elsewhere.test"});
  // Forward without keep-copy: only the target gets it.
  must(svc().set_forward(a, "bob@a.example", {"bob@home.test"}, false), "fwd");
  r = must(svc().resolve_recipient("bob@a.example"), "bob");
  EXPECT_TRUE(r.mailboxes.empty());
  EXPECT_EQ(r.external, std::vector<std::string>{"bob@home.test"});
  must(svc().set_forward(a, "bob@a.example", {"bob@home.test"}, true), "fwd keep");
  EXPECT_EQ(must(svc().resolve_recipient("bob@a.example"), "bob").mailboxes, std::vector<Id>{bob});
  // Loops terminate: x -> y -> x, and alice forwarding into the loop.
  must(svc().set_alias(a, "x@a.example", {"y@a.example"}), "x");
  must(svc().set_alias(a, "y@a.example", {"x@a.example", "alice@a.example"}), "y");
  EXPECT_EQ(must(svc().resolve_recipient("x@a.example"), "x").mailboxes, std::vector<Id>{alice});
  must(svc().set_alias(a, "p@a.example", {"q@a.example"}), "p");
  must(svc().set_alias(a, "q@a.example", {"p@a.example"}), "q");
  EXPECT_EQ(code(svc().resolve_recipient("p@a.example")), Errc::kNotFound);
  // Unknown local part: catch-all if set.
  EXPECT_EQ(code(svc().resolve_recipient("unknown@a.example")), Errc::kNotFound);
  must(svc().set_catchall(a, "a.example", "alice@a.example"), "catchall");
  EXPECT_EQ(must(svc().resolve_recipient("unknown@a.example"), "u").mailboxes,
            std::vector<Id>{alice});
  // Domain alias: alias.example mirrors a.example.
  must_ok(svc().add_domain_alias(a, "Alias.Example", "a.example"), "dalias");
  EXPECT_TRUE(must(svc().is_local_domain("ALIAS.example"), "local"));
  EXPECT_EQ(must(svc().resolve_recipient("alice@alias.example"), "da").mailboxes,
            std::vector<Id>{alice});
  // postmaster@ reaches the customer's login without any alias.
  EXPECT_EQ(must(svc().resolve_recipient("postmaster@a.example"), "pm").external,
            std::vector<std::string>{"boss@acme.test"});
  EXPECT_EQ(code(svc().resolve_recipient("x@not-local.example")), Errc::kNotFound);
  EXPECT_FALSE(must(svc().is_local_domain("not-local.example"), "nl"));
  // A deleted domain is no longer local, and its mailboxes resolve to nothing.
  must_ok(svc().delete_domain(a, "b.example"), "del b");
  EXPECT_FALSE(must(svc().is_local_domain("b.example"), "b"));
  EXPECT_EQ(code(svc().resolve_recipient("carol@b.example")), Errc::kNotFound);
}

}  // namespace
}  // namespace posthouse::directory
