// directory::Service: spam settings (service_spam.cc): the domain's policy, a mailbox's own
// settings that only tighten, and who may handle which held mail.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "directory/test_world.h"

namespace posthouse::directory {
namespace {

using base::Errc;
using testing::code;
using testing::must;
using testing::World;

class ServiceSpam : public World {};

TEST_F(ServiceSpam, DomainPolicyIsNormalizedAndChecked) {
  SpamPolicy p;
  p.allow = {"@Friend.Example", "Boss@Partner.Example", "friend.example"};
  p.junk_score = 5;
  p.quarantine_score = 8;
  p.reject_score = 15;
  p.virus_action = "quarantine";
  auto d = must(svc().set_spam_policy(as("postmaster@a.example"), "a.example", p), "set");
  EXPECT_EQ(d.spam.allow, (std::vector<std::string>{"friend.example", "boss@partner.example"}));
  EXPECT_EQ(d.spam.quarantine_score, 8);
  // Out of order, out of range, unknown action: refused naming the field, nothing changed.
  for (auto [change, field] :
       {std::pair<std::function<void(SpamPolicy&)>, const char*>{
            [](SpamPolicy& x) { x.quarantine_score = 4; }, "quarantine_score"},
        {[](SpamPolicy& x) { x.reject_score = 20000; }, "reject_score"},
        {[](SpamPolicy& x) { x.junk_score = std::nan(""); }, "junk_score"},
        {[](SpamPolicy& x) { x.virus_action = "junk"; }, "virus_action"},
        {[](SpamPolicy& x) { x.allow = {""}; }, "allow"}}) {
    SpamPolicy bad = d.spam;
    change(bad);
    auto r = svc().set_spam_policy(admin(), "a.example", bad);
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_EQ(r.error().code, Errc::kInvalid);
    EXPECT_EQ(r.error().field, field);
  }
  EXPECT_EQ(must(svc().get_domain(admin(), "a.example"), "d").spam.quarantine_score, 8);
  // A user holds no spam.policy: its domain is invisible to it.
  EXPECT_EQ(code(svc().set_spam_policy(as("alice@a.example"), "a.example", p)), Errc::kNotFound);
}

TEST_F(ServiceSpam, AUserTightensItsOwnSettingsOnly) {
  SpamPolicy p;
  p.junk_score = 6;
  must(svc().set_spam_policy(admin(), "a.example", p), "domain");
  Actor alice = as("alice@a.example");
  UserSpamSettings u;
  u.junk_score = 4;
  u.block = {"Pest.Example"};
  auto got = must(svc().set_user_spam(alice, "alice@a.example", u), "set");
  EXPECT_EQ(got.block, (std::vector<std::string>{"pest.example"}));
  EXPECT_EQ(must(svc().get_user_spam(alice, "alice@a.example"), "get").junk_score, 4);
  u.junk_score = 7;  // looser than the domain's 6
  auto r = svc().set_user_spam(alice, "alice@a.example", u);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "junk_score");
  EXPECT_EQ(must(svc().get_user_spam(alice, "alice@a.example"), "get").junk_score, 4);
  // Thresholds the domain does not set are the user's to choose; the order still holds.
  u.junk_score = 6;
  u.quarantine_score = 5;
  EXPECT_EQ(svc().set_user_spam(alice, "alice@a.example", u).error().field, "quarantine_score");
  // Another user cannot see them; the postmaster may set them.
  EXPECT_EQ(code(svc().get_user_spam(as("bob@a.example"), "alice@a.example")), Errc::kNotFound);
  u.quarantine_score.reset();
  EXPECT_TRUE(svc().set_user_spam(as("postmaster@a.example"), "alice@a.example", u).ok());
  EXPECT_EQ(must(svc().list_audit(admin(), 1), "audit")[0].verb, "spam.settings");
}

TEST_F(ServiceSpam, HeldMailIsHandledInScopeOnly) {
  auto alice = must(svc().get_mailbox(admin(), "alice@a.example"), "alice");
  store::HeldMessage m;
  m.id = 42;
  m.mailbox_id = alice.id;
  m.domain_id = alice.domain_id;
  m.recipient = alice.address;
  EXPECT_TRUE(svc().check_held(as("alice@a.example"), m).ok());
  EXPECT_TRUE(svc().check_held(as("postmaster@a.example"), m).ok());
  EXPECT_TRUE(svc().check_held(as("boss@acme.test"), m).ok());
  EXPECT_EQ(code(svc().check_held(as("bob@a.example"), m)), Errc::kNotFound);
  EXPECT_EQ(code(svc().check_held(as("ceo@globex.test"), m)), Errc::kNotFound);
  EXPECT_EQ(code(svc().check_held(as("postmaster@g.example"), m)), Errc::kNotFound);
  EXPECT_EQ(must(svc().quarantine_domain(as("postmaster@a.example"), "a.example"), "d").id,
            alice.domain_id);
  EXPECT_EQ(code(svc().quarantine_domain(as("alice@a.example"), "a.example")), Errc::kNotFound);
  EXPECT_EQ(code(svc().quarantine_mailbox(as("bob@a.example"), "alice@a.example")),
            Errc::kNotFound);
  ASSERT_TRUE(svc().audit_held(as("alice@a.example"), "quarantine.release", m).ok());
  auto rec = must(svc().list_audit(admin(), 1), "audit")[0];
  EXPECT_EQ(rec.verb, "quarantine.release");
  EXPECT_EQ(rec.mailbox_id, alice.id);
}

}  // namespace
}  // namespace posthouse::directory
