// directory::Service: delegations, never wider than the granter (service_delegations.cc).
#include <gtest/gtest.h>

#include "directory/test_world.h"

namespace posthouse::directory {
namespace {

using base::Errc;
using testing::code;
using testing::must;
using testing::must_ok;
using testing::World;

class ServiceDelegations : public World {};

TEST_F(ServiceDelegations, DelegateCannotUseATemplateNotAllowed) {
  Actor hr = as("hr@a.example");
  auto r = svc().create_mailbox(hr, {"x@a.example", "", "exec", "user-password", {}});
  EXPECT_EQ(code(r), Errc::kForbidden);
  EXPECT_FALSE(must(store().find_mailbox("x@a.example"), "x").has_value());
  EXPECT_TRUE(svc().create_mailbox(hr, {"x@a.example", "", "staff", "user-password", {}}).ok());
  // Nor in a domain outside its delegation.
  EXPECT_EQ(code(svc().create_mailbox(hr, {"y@b.example", "", "staff", {}, {}})), Errc::kNotFound);
}

TEST_F(ServiceDelegations, DelegateCannotCreateADelegation) {
  Actor hr = as("hr@a.example");
  DelegationSpec s{"bob@a.example", {Verb::kMailboxDelete}, {"a.example"}, {}, std::nullopt};
  auto r = svc().create_delegation(hr, s);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(code(r) == Errc::kNotFound || code(r) == Errc::kForbidden);
  EXPECT_TRUE(must(store().delegations_of(0, as("bob@a.example").mailbox_id), "d").empty());
}

TEST_F(ServiceDelegations, GrantsAreSubsetsOfTheGrantersHoldings) {
  Actor pm = as("postmaster@a.example");
  // Postmaster holds no purge: it cannot hand it out, nor anything non-delegable.
  DelegationSpec s{"bob@a.example", {Verb::kDomainDelete}, {"a.example"}, {}, std::nullopt};
  EXPECT_EQ(code(svc().create_delegation(pm, s)), Errc::kInvalid);
  s.verbs = {Verb::kMailboxDelete};
  s.domains = {"a.example", "b.example"};
  EXPECT_EQ(code(svc().create_delegation(pm, s)), Errc::kNotFound);
  s.domains = {"a.example"};
  EXPECT_TRUE(svc().create_delegation(pm, s).ok());
  // Scoped manager: cannot delegate to a mailbox of a domain it does not hold.
  DelegationSpec t{"carol@b.example", {Verb::kMailboxDelete}, {"a.example"}, {}, std::nullopt};
  EXPECT_EQ(code(svc().create_delegation(as("sm@outside.test"), t)), Errc::kNotFound);
  // Nor to a login it cannot see (another manager, the postmaster of another domain).
  t.grantee = "other@outside.test";
  auto hidden = svc().create_delegation(as("sm@outside.test"), t);
  EXPECT_EQ(code(hidden), Errc::kNotFound);
  EXPECT_EQ(hidden.error().message, "grantee 'other@outside.test' not found");
  t.grantee = "postmaster@b.example";
  EXPECT_EQ(code(svc().create_delegation(as("sm@outside.test"), t)), Errc::kNotFound);
  // The customer may delegate to its postmaster; the postmaster then holds it.
  t.grantee = "postmaster@b.example";
  t.verbs = {Verb::kMailboxDelete};
  ASSERT_TRUE(svc().create_delegation(as("boss@acme.test"), t).ok());
  EXPECT_TRUE(svc().delete_mailbox(as("postmaster@b.example"), "bob@a.example").ok());
}

TEST_F(ServiceDelegations, ExpiredDelegateAndDeletedUserCanDoNothingViaService) {
  EXPECT_EQ(code(svc().delete_mailbox(as("old@a.example"), "bob@a.example")), Errc::kNotFound);
  EXPECT_EQ(code(svc().delete_mailbox(as("gone@a.example"), "bob@a.example")), Errc::kNotFound);
  EXPECT_EQ(code(svc().get_mailbox(as("gone@a.example"), "gone@a.example")), Errc::kNotFound);
  EXPECT_EQ(code(svc().authenticate("gone@a.example", "user-password", "imap")),
            Errc::kUnauthenticated);
}

}  // namespace
}  // namespace posthouse::directory
