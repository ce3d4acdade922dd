// directory::Service: what every noun shares (service.cc): the nested limits, checked on
// actual usage inside the write transaction, and one namespace for names and addresses.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "directory/test_world.h"

namespace posthouse::directory {
namespace {

using base::Errc;
using testing::code;
using testing::Conn;
using testing::must;
using testing::must_ok;
using testing::World;

class ServiceLimits : public World {};
class ServiceCore : public World {};

TEST_F(ServiceLimits, NestedCountCaps) {
  Actor a = admin();
  Limits dom;
  dom.max_mailboxes = 5;  // a.example has 4 active mailboxes (gone@ is deleted)
  must(svc().set_domain_limits(a, "a.example", dom), "dom");
  EXPECT_TRUE(svc().create_mailbox(a, {"n1@a.example", "", "staff", {}, {}}).ok());
  auto r = svc().create_mailbox(a, {"n2@a.example", "", "staff", {}, {}});
  EXPECT_EQ(code(r), Errc::kLimit);
  EXPECT_NE(r.error().message.find("domain limit of 5 mailboxes"), std::string::npos);
  // Deleting frees a slot; restoring needs one.
  must_ok(svc().delete_mailbox(a, "n1@a.example"), "del");
  EXPECT_TRUE(svc().create_mailbox(a, {"n2@a.example", "", "staff", {}, {}}).ok());
  EXPECT_EQ(code(svc().restore_mailbox(a, "n1@a.example")), Errc::kLimit);
  // The customer cap applies across its domains (acme: 5 in a, 1 in b).
  Limits cust;
  cust.max_mailboxes = 6;
  must(svc().set_customer_limits(a, "acme", cust), "cust");
  auto c = svc().create_mailbox(a, {"n3@b.example", "", "staff", {}, {}});
  EXPECT_EQ(code(c), Errc::kLimit);
  EXPECT_NE(c.error().message.find("customer limit of 6"), std::string::npos);
  // A domain limit may not be set above the customer's.
  EXPECT_EQ(code(svc().set_domain_limits(a, "b.example", Limits{std::nullopt, 8, {}, {}})),
            Errc::kLimit);
  Limits cd;
  cd.max_domains = 2;
  cd.max_mailboxes = 6;
  must(svc().set_customer_limits(a, "acme", cd), "cd");
  EXPECT_EQ(code(svc().create_domain(a, {"acme", "c.example", {}, {}, ""})), Errc::kLimit);
}

TEST_F(ServiceLimits, QuotaOverTheDomainsRemainingBytes) {
  Actor a = admin();
  // a.example holds 4 active x 100 MiB; allow 500 MiB in total, at most 150 MiB per mailbox.
  Limits l{std::nullopt, std::nullopt, 150LL << 20, 500LL << 20};
  must(svc().set_domain_limits(a, "a.example", l), "limits");
  auto big = svc().create_mailbox(a, {"big@a.example", "", "exec", {}, {}});  // 200 MiB
  EXPECT_EQ(code(big), Errc::kLimit);
  EXPECT_NE(big.error().message.find("per mailbox"), std::string::npos);
  auto over = svc().create_mailbox(a, {"o@a.example", "", "staff", {}, 101LL << 20});
  EXPECT_EQ(code(over), Errc::kLimit);
  EXPECT_NE(over.error().message.find("remaining 104857600 bytes"), std::string::npos);
  EXPECT_TRUE(svc().create_mailbox(a, {"o@a.example", "", "staff", {}, 100LL << 20}).ok());
  // Raising a quota is checked against the remainder too, lowering always works.
  MailboxEdit e;
  e.quota_bytes = 101LL << 20;
  EXPECT_EQ(code(svc().edit_mailbox(a, "bob@a.example", e)), Errc::kLimit);
  e.quota_bytes = 50LL << 20;
  EXPECT_TRUE(svc().edit_mailbox(a, "bob@a.example", e).ok());
  e.quota_bytes = 0;
  EXPECT_EQ(code(svc().edit_mailbox(a, "bob@a.example", e)), Errc::kInvalid);
}

TEST_F(ServiceLimits, ManagerCannotSetLimitsAboveItsOwn) {
  Limits cap;
  cap.max_mailboxes = 5;  // a.example, its only domain, has 4 active mailboxes
  must(svc().set_manager_limits(admin(), "sm@outside.test", cap), "cap");
  Actor sm = as("sm@outside.test");
  Limits want;
  want.max_mailboxes = 50;
  EXPECT_EQ(code(svc().set_domain_limits(sm, "a.example", want)), Errc::kLimit);
  want.max_mailboxes = 5;
  EXPECT_TRUE(svc().set_domain_limits(sm, "a.example", want).ok());
  // "No limit at this level" is allowed, and gains nothing: the manager's cap still counts.
  EXPECT_TRUE(svc().set_domain_limits(sm, "a.example", Limits{}).ok());
  EXPECT_TRUE(svc().create_mailbox(sm, {"m5@a.example", "", "staff", {}, {}}).ok());
  auto r = svc().create_mailbox(sm, {"m6@a.example", "", "staff", {}, {}});
  EXPECT_EQ(code(r), Errc::kLimit);
  EXPECT_NE(r.error().message.find("manager limit of 5"), std::string::npos);
  // Customer limits cap managers: a customer cannot give a manager more than itself.
  Limits cust;
  cust.max_mailboxes = 20;
  must(svc().set_customer_limits(admin(), "acme", cust), "cust");
  Limits big;
  big.max_mailboxes = 21;
  EXPECT_EQ(code(svc().set_manager_limits(as("boss@acme.test"), "fm@outside.test", big)),
            Errc::kLimit);
  EXPECT_EQ(code(svc().set_customer_limits(as("boss@acme.test"), "acme", Limits{})),
            Errc::kForbidden);
}

// Two threads, two connections to one database file, one free slot: exactly one wins.
TEST_F(ServiceLimits, LastSlotRaceHasExactlyOneWinner) {
  must(svc().set_domain_limits(admin(), "b.example", Limits{std::nullopt, 2, {}, {}}), "l");
  for (int round = 0; round < 5; ++round) {
    Conn c1(path_, testing::fast_options(), [this] { return now_; });
    Conn c2(path_, testing::fast_options(), [this] { return now_; });
    std::atomic<int> go{0};
    base::Status r1, r2;
    std::string a1 = "race" + std::to_string(round) + "x@b.example";
    std::string a2 = "race" + std::to_string(round) + "y@b.example";
    auto run = [&](Conn* c, const std::string& addr, base::Status* out) {
      go.fetch_add(1);
      while (go.load() < 2) {
      }
      auto r = c->svc->create_mailbox(Service::cli_admin(), {addr, "", "staff", {}, {}});
      *out = r.ok() ? base::Status() : base::Status(r.error());
    };
    std::thread t1(run, &c1, a1, &r1), t2(run, &c2, a2, &r2);
    t1.join();
    t2.join();
    EXPECT_NE(r1.ok(), r2.ok()) << "round " << round;
    const base::Status& loser = r1.ok() ? r2 : r1;
    ASSERT_FALSE(loser.ok());
    EXPECT_EQ(loser.error().code, Errc::kLimit) << loser.error().message;
    auto usage = must(store().usage_domain(must(store().find_domain("b.example"), "b")->id), "u");
    EXPECT_EQ(usage.mailboxes, 2);
    // Free the slot again for the next round.
    std::string winner = r1.ok() ? a1 : a2;
    must_ok(svc().delete_mailbox(admin(), winner), "del");
  }
}

TEST_F(ServiceCore, DuplicatesAreConflicts) {
  Actor a = admin();
  EXPECT_EQ(code(svc().create_customer(a, {"acme", "", {}, {}})), Errc::kConflict);
  EXPECT_EQ(code(svc().create_customer(a, {"acme2", "boss@acme.test", {}, {}})), Errc::kConflict);
  EXPECT_FALSE(must(store().find_customer("acme2"), "c").has_value());  // rolled back whole
  EXPECT_EQ(code(svc().create_mailbox(a, {"BOB@a.example", "", "staff", {}, {}})), Errc::kConflict);
  EXPECT_EQ(code(svc().create_mailbox(a, {"sales@a.example", "", "staff", {}, {}})),
            Errc::kConflict);
  EXPECT_EQ(code(svc().set_alias(a, "bob@a.example", {"x@elsewhere.test"})), Errc::kConflict);
  EXPECT_EQ(code(svc().create_template(a, "acme", "staff", TemplateSettings{})), Errc::kConflict);
  EXPECT_EQ(code(svc().create_manager(
                a, {"acme", "SM@outside.test", "", ManagerKind::kScoped, {}, {}, std::nullopt})),
            Errc::kConflict);
  EXPECT_EQ(code(svc().add_domain_alias(a, "b.example", "a.example")), Errc::kConflict);
  EXPECT_EQ(code(svc().create_customer(a, {std::string(201, 'c'), "", {}, {}})), Errc::kInvalid);
  EXPECT_EQ(code(svc().set_alias(a, "loop@a.example", {"loop@a.example"})), Errc::kInvalid);
  std::vector<std::string> many(101, "t@elsewhere.test");
  EXPECT_EQ(code(svc().set_alias(a, "many@a.example", many)), Errc::kTooLarge);
}

}  // namespace
}  // namespace posthouse::directory
