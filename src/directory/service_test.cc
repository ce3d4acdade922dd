#include "directory/service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "directory/json.h"
#include "directory/test_world.h"

namespace posthouse::directory {
namespace {

using base::Errc;
using testing::Conn;
using testing::must;
using testing::must_ok;
using testing::World;

template <class R>
Errc code(const R& r) {
  return r.ok() ? static_cast<Errc>(-1) : r.error().code;
}

class Escalation : public World {};

TEST_F(Escalation, ManagerCannotGrantItselfADomain) {
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

TEST_F(Escalation, PostmasterCannotRaiseItsOwnLimit) {
  Actor pm = as("postmaster@a.example");
  Limits l;
  l.max_mailboxes = 1000;
  EXPECT_EQ(code(svc().set_domain_limits(pm, "a.example", l)), Errc::kForbidden);
  EXPECT_FALSE(must(store().find_domain("a.example"), "a")->limits.max_mailboxes.has_value());
}

TEST_F(Escalation, ManagerCannotSetLimitsAboveItsOwn) {
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

TEST_F(Escalation, DelegateCannotUseATemplateNotAllowed) {
  Actor hr = as("hr@a.example");
  auto r = svc().create_mailbox(hr, {"x@a.example", "", "exec", "user-password", {}});
  EXPECT_EQ(code(r), Errc::kForbidden);
  EXPECT_FALSE(must(store().find_mailbox("x@a.example"), "x").has_value());
  EXPECT_TRUE(svc().create_mailbox(hr, {"x@a.example", "", "staff", "user-password", {}}).ok());
  // Nor in a domain outside its delegation.
  EXPECT_EQ(code(svc().create_mailbox(hr, {"y@b.example", "", "staff", {}, {}})), Errc::kNotFound);
}

TEST_F(Escalation, DelegateCannotCreateADelegation) {
  Actor hr = as("hr@a.example");
  DelegationSpec s{"bob@a.example", {Verb::kMailboxDelete}, {"a.example"}, {}, std::nullopt};
  auto r = svc().create_delegation(hr, s);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(code(r) == Errc::kNotFound || code(r) == Errc::kForbidden);
  EXPECT_TRUE(must(store().delegations_of(0, as("bob@a.example").mailbox_id), "d").empty());
}

TEST_F(Escalation, GrantsAreSubsetsOfTheGrantersHoldings) {
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

TEST_F(Escalation, MailboxServicesStayWithinTheTemplateBelowCustomerLevel) {
  Actor pm = as("postmaster@a.example");
  MailboxEdit e;
  Services s;  // the staff template: everything but tokens
  s.pop3 = false;
  e.services = s;
  ASSERT_TRUE(svc().edit_mailbox(pm, "bob@a.example", e).ok());  // switching off is free
  s.pop3 = true;
  e.services = s;
  ASSERT_TRUE(svc().edit_mailbox(pm, "bob@a.example", e).ok());  // back to the template
  s.tokens = true;
  e.services = s;
  auto r = svc().edit_mailbox(pm, "bob@a.example", e);
  EXPECT_EQ(code(r), Errc::kForbidden);
  EXPECT_EQ(r.error().message, "tokens is not granted by this mailbox's template");
  EXPECT_FALSE(must(store().find_mailbox("bob@a.example"), "bob")->services.tokens);
  EXPECT_TRUE(svc().edit_mailbox(as("boss@acme.test"), "bob@a.example", e).ok());
}

TEST_F(Escalation, CustomerCannotTouchAnotherCustomersDomainById) {
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

TEST_F(Escalation, MovingAMailboxNeedsRightsOnBothDomains) {
  Actor sm = as("sm@outside.test");
  EXPECT_EQ(code(svc().move_mailbox(sm, "bob@a.example", "bob@b.example")), Errc::kNotFound);
  EXPECT_EQ(code(svc().move_mailbox(sm, "bob@a.example", "bob@g.example")), Errc::kNotFound);
  EXPECT_TRUE(must(store().find_mailbox("bob@a.example"), "bob").has_value());
  // The customer holds both: the move works, keeps the id (the message store's key).
  Id id = must(store().find_mailbox("bob@a.example"), "bob")->id;
  auto moved = svc().move_mailbox(as("boss@acme.test"), "bob@a.example", "bob@b.example");
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(moved->id, id);
  EXPECT_EQ(moved->address, "bob@b.example");
}

TEST_F(Escalation, DeletedAddressCannotBeReusedUntilPurged) {
  Actor boss = as("boss@acme.test");
  auto again = svc().create_mailbox(boss, {"gone@a.example", "", "staff", {}, {}});
  EXPECT_EQ(code(again), Errc::kConflict);
  EXPECT_NE(again.error().message.find("reserved until purged"), std::string::npos);
  EXPECT_EQ(code(svc().set_alias(boss, "gone@a.example", {"bob@a.example"})), Errc::kConflict);
  must_ok(svc().purge_mailbox(boss, "gone@a.example"), "purge");
  EXPECT_TRUE(svc().create_mailbox(boss, {"gone@a.example", "", "staff", {}, {}}).ok());
}

TEST_F(Escalation, ExpiredDelegateAndDeletedUserCanDoNothingViaService) {
  EXPECT_EQ(code(svc().delete_mailbox(as("old@a.example"), "bob@a.example")), Errc::kNotFound);
  EXPECT_EQ(code(svc().delete_mailbox(as("gone@a.example"), "bob@a.example")), Errc::kNotFound);
  EXPECT_EQ(code(svc().get_mailbox(as("gone@a.example"), "gone@a.example")), Errc::kNotFound);
  EXPECT_EQ(code(svc().authenticate("gone@a.example", "user-password", "imap")),
            Errc::kUnauthenticated);
}

// ------------------------------------------------------------------ limits

class Limiting : public World {};

TEST_F(Limiting, NestedCountCaps) {
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

TEST_F(Limiting, QuotaOverTheDomainsRemainingBytes) {
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

TEST_F(Limiting, PlatformLimitsCapEverything) {
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

TEST_F(Limiting, PlatformLimitsOnlyByThePlatformAdminAndAudited) {
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

// Two threads, two connections to one database file, one free slot: exactly one wins.
TEST_F(Limiting, LastSlotRaceHasExactlyOneWinner) {
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

// ------------------------------------------------------------------ bad input

class BadInput : public World {};

TEST_F(BadInput, InvalidAddressesAndFields) {
  Actor a = admin();
  for (auto bad : {"no-at-sign", "a..b@a.example", "\"q\"@a.example", "a b@a.example",
                   "x@-bad-.example", "x@a_b.example"}) {
    auto r = svc().create_mailbox(a, {bad, "", "staff", {}, {}});
    EXPECT_EQ(code(r), Errc::kInvalid) << bad;
    EXPECT_EQ(r.error().field, "address") << bad;
  }
  auto longname = svc().create_mailbox(a, {"ok@a.example", std::string(201, 'n'), "staff", {}, {}});
  EXPECT_EQ(code(longname), Errc::kInvalid);
  EXPECT_EQ(longname.error().field, "display_name");
  EXPECT_EQ(code(svc().create_mailbox(a, {"ok@a.example", "x\r\nBcc: y", "staff", {}, {}})),
            Errc::kInvalid);
  EXPECT_EQ(code(svc().create_mailbox(a, {"ok@a.example", "", "", {}, {}})), Errc::kInvalid);
  EXPECT_EQ(code(svc().create_mailbox(a, {"ok@a.example", "", "nope", {}, {}})), Errc::kNotFound);
  EXPECT_EQ(code(svc().create_mailbox(a, {"ok@a.example", "", "staff", "short", {}})),
            Errc::kInvalid);
  EXPECT_EQ(code(svc().create_mailbox(a, {"postmaster@a.example", "", "staff", {}, {}})),
            Errc::kConflict);
  EXPECT_EQ(code(svc().create_mailbox(a, {"x@nowhere.example", "", "staff", {}, {}})),
            Errc::kNotFound);
  EXPECT_FALSE(must(store().find_mailbox("ok@a.example"), "ok").has_value());
}

TEST_F(BadInput, IdnAndMixedCaseDomainsAreOneName) {
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

TEST_F(BadInput, DuplicatesAreConflicts) {
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

// ------------------------------------------------------------------ mail side

class MailSide : public World {};

TEST_F(MailSide, AuthenticateRecordsLoginAndChecksServices) {
  auto p = svc().authenticate("Alice@A.example", "user-password", "imap");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->address, "alice@a.example");
  auto m = *must(store().find_mailbox("alice@a.example"), "alice");
  EXPECT_EQ(m.last_login_at, now_);
  EXPECT_EQ(m.last_login_protocol, "imap");
  auto wrong = svc().authenticate("alice@a.example", "wrong-password", "imap");
  auto nobody = svc().authenticate("nobody@a.example", "user-password", "imap");
  EXPECT_EQ(code(wrong), Errc::kUnauthenticated);
  EXPECT_EQ(code(nobody), Errc::kUnauthenticated);
  EXPECT_EQ(wrong.error().message, nobody.error().message);
  MailboxEdit e;
  Services s;
  s.pop3 = false;
  e.services = s;
  must(svc().edit_mailbox(admin(), "alice@a.example", e), "edit");
  EXPECT_EQ(code(svc().authenticate("alice@a.example", "user-password", "pop3")), Errc::kForbidden);
  EXPECT_EQ(code(svc().authenticate("alice@a.example", "wrong-password", "pop3")),
            Errc::kUnauthenticated);
  e = MailboxEdit{};
  e.status = "disabled";
  must(svc().edit_mailbox(admin(), "alice@a.example", e), "disable");
  EXPECT_EQ(code(svc().authenticate("alice@a.example", "user-password", "imap")),
            Errc::kUnauthenticated);
  // No password set: no login at all.
  must(svc().create_mailbox(admin(), {"nopw@a.example", "", "staff", {}, {}}), "nopw");
  EXPECT_EQ(code(svc().authenticate("nopw@a.example", "", "imap")), Errc::kUnauthenticated);
}

class CachedMailSide : public World {
 protected:
  Options options() override {
    Options o = testing::fast_options();
    o.credential_cache = cache_;
    return o;
  }
  std::shared_ptr<auth::CredentialCache> cache_ =
      std::make_shared<auth::CredentialCache>(auth::CredentialCache::Options{});
};

TEST_F(CachedMailSide, CacheHitsOnlyWhileThePasswordAndAccountStand) {
  ASSERT_TRUE(svc().authenticate("alice@a.example", "user-password", "imap").ok());
  EXPECT_EQ(cache_->size(), 1u);
  // A wrong password is never cached and still fails.
  EXPECT_EQ(code(svc().authenticate("alice@a.example", "wrong-password", "imap")),
            Errc::kUnauthenticated);
  EXPECT_EQ(cache_->size(), 1u);
  // Hit: the same login again succeeds from the cache.
  auto m = *must(store().find_mailbox("alice@a.example"), "alice");
  EXPECT_TRUE(cache_->lookup(cache_->key("alice@a.example", "user-password"), m.id,
                             m.password_hash, auth::CredentialCache::Clock::now()));
  ASSERT_TRUE(svc().authenticate("ALICE@a.example", "user-password", "pop3").ok());

  // Password change: the old password no longer logs in, the new one does.
  must_ok(svc().set_mailbox_password(admin(), "alice@a.example", "new-password-1"), "pw");
  EXPECT_EQ(code(svc().authenticate("alice@a.example", "user-password", "imap")),
            Errc::kUnauthenticated);
  ASSERT_TRUE(svc().authenticate("alice@a.example", "new-password-1", "imap").ok());

  // A change made behind this Service's back (another process: the CLI) misses too.
  m = *must(store().find_mailbox("alice@a.example"), "alice");
  m.password_hash = *auth::hash_password("third-password", testing::fast_options().password);
  must_ok(store().update_mailbox(m), "update");
  EXPECT_EQ(code(svc().authenticate("alice@a.example", "new-password-1", "imap")),
            Errc::kUnauthenticated);
  ASSERT_TRUE(svc().authenticate("alice@a.example", "third-password", "imap").ok());

  // Disabled, even with a cached success, refuses; so does a deleted mailbox.
  MailboxEdit e;
  e.status = "disabled";
  must(svc().edit_mailbox(admin(), "alice@a.example", e), "disable");
  EXPECT_EQ(code(svc().authenticate("alice@a.example", "third-password", "imap")),
            Errc::kUnauthenticated);
  ASSERT_TRUE(svc().authenticate("bob@a.example", "user-password", "imap").ok());
  must_ok(svc().delete_mailbox(admin(), "bob@a.example"), "delete");
  EXPECT_EQ(code(svc().authenticate("bob@a.example", "user-password", "imap")),
            Errc::kUnauthenticated);
  EXPECT_EQ(cache_->size(), 0u);
}

TEST_F(MailSide, ImportedHashIsRehashedOnLogin) {
  auto m = *must(store().find_mailbox("bob@a.example"), "bob");
  m.password_hash =
      "{SHA512-CRYPT}$6$saltsalt$sCQNb0n0eItJPFL06KtUypdT1zy.VMlT/MZwElDru6Byiq4ssjsNMg6ll831lj9p"
      "OHtIwYhpn7fE2Y8VxuEET.";
  must_ok(store().update_mailbox(m), "import");
  ASSERT_TRUE(svc().authenticate("bob@a.example", "secret-pass", "smtp").ok());
  auto after = *must(store().find_mailbox("bob@a.example"), "bob");
  EXPECT_EQ(after.password_hash.rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(svc().authenticate("bob@a.example", "secret-pass", "smtp").ok());
}

TEST_F(MailSide, ResolveAliasesForwardsCatchallDomainAliasesLoops) {
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

TEST_F(MailSide, ForwardingNeedsTheTemplatePrivilege) {
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

// ------------------------------------------------------------------ lifecycle

class Lifecycle : public World {};

TEST_F(Lifecycle, DomainDeleteRestoreIsWholeAndPurgeIsSeparate) {
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

TEST_F(Lifecycle, CustomersAreDeletedOnlyWhenEmpty) {
  EXPECT_EQ(code(svc().delete_customer(as("boss@acme.test"), "acme")), Errc::kForbidden);
  EXPECT_EQ(code(svc().delete_customer(admin(), "globex")), Errc::kConflict);
  must_ok(svc().delete_domain(admin(), "g.example"), "del");
  must_ok(svc().purge_domain(admin(), "g.example"), "purge");
  must_ok(svc().delete_customer(admin(), "globex"), "delete");
  EXPECT_FALSE(must(store().find_customer("globex"), "g").has_value());
  EXPECT_FALSE(must(store().find_principal("ceo@globex.test"), "ceo").has_value());
  EXPECT_FALSE(must(store().find_principal("gm@outside.test"), "gm").has_value());
}

TEST_F(Lifecycle, ExpiredDeletionsArePurgedAfterRetention) {
  Actor a = admin();
  must_ok(svc().delete_mailbox(a, "bob@a.example"), "bob");
  now_ += 10 * 86400;
  must_ok(svc().delete_domain(a, "b.example"), "b");
  now_ += 21 * 86400;  // gone (deleted in build) and bob: 31 days; b.example: 21 days
  EXPECT_EQ(must(svc().purge_expired(), "purge"), 2);
  EXPECT_FALSE(must(store().find_mailbox("bob@a.example"), "bob").has_value());
  EXPECT_FALSE(must(store().find_mailbox("gone@a.example"), "gone").has_value());
  EXPECT_TRUE(must(store().find_domain("b.example"), "b").has_value());
  now_ += 10 * 86400;
  EXPECT_EQ(must(svc().purge_expired(), "purge"), 1);
  EXPECT_FALSE(must(store().find_domain("b.example"), "b").has_value());
  EXPECT_FALSE(must(store().find_mailbox("carol@b.example"), "c").has_value());
  EXPECT_FALSE(must(store().find_principal("postmaster@b.example"), "pm").has_value());
  auto log = must(svc().list_audit(a, 5), "audit");
  EXPECT_EQ(log.front().actor, "system");
  EXPECT_EQ(log.front().verb, "domain.purge");
}

TEST_F(Lifecycle, TemplatesAreVersionedAndMailboxesRememberTheirVersion) {
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

TEST_F(Lifecycle, PostmasterPasswordAndPrincipalLogin) {
  EXPECT_EQ(code(svc().login("postmaster@b.example", "")), Errc::kUnauthenticated);
  must_ok(svc().set_postmaster_password(as("sm@outside.test"), "a.example", "new-pm-password"),
          "pm");
  EXPECT_EQ(code(svc().set_postmaster_password(as("sm@outside.test"), "b.example", "xx-pw-xx")),
            Errc::kNotFound);
  auto pm = svc().login("postmaster@a.example", "new-pm-password");
  ASSERT_TRUE(pm.ok());
  EXPECT_EQ(pm->role, Role::kPostmaster);
  EXPECT_EQ(code(svc().login("postmaster@a.example", "postmaster-pw")), Errc::kUnauthenticated);
  must_ok(svc().set_principal_password(as("sm@outside.test"), "sm@outside.test", "mine-now-1"),
          "self");
  EXPECT_TRUE(svc().login("sm@outside.test", "mine-now-1").ok());
  EXPECT_EQ(
      code(svc().set_principal_password(as("sm@outside.test"), "fm@outside.test", "hijack-pw-1")),
      Errc::kNotFound);
}

TEST_F(Lifecycle, BrandingComesFromTheManagerOrTheCustomerNeverThePlatform) {
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

// ------------------------------------------------------------------ audit

class Auditing : public World {};

TEST_F(Auditing, RecordsAreRedactedAndScoped) {
  Actor hr = as("hr@a.example");
  hr.source = "api";
  hr.ip = "192.0.2.7";
  hr.token_id = 42;
  must_ok(svc().set_mailbox_password(hr, "bob@a.example", "brand-new-secret"), "pw");
  auto all = must(svc().list_audit(admin(), 1000), "all");
  ASSERT_FALSE(all.empty());
  const auto& r = all.front();
  EXPECT_EQ(r.actor, "hr@a.example");
  EXPECT_EQ(r.actor_kind, "user");
  EXPECT_EQ(r.verb, "mailbox.password");
  EXPECT_EQ(r.target, "mailbox:bob@a.example");
  EXPECT_EQ(r.source, "api");
  EXPECT_EQ(r.ip, "192.0.2.7");
  EXPECT_EQ(r.token_id, 42);
  EXPECT_EQ(r.at, now_);
  for (const auto& rec : all) {
    std::string text = rec.before.value_or("") + rec.after.value_or("");
    for (auto secret : {"brand-new-secret", "user-password", "postmaster-pw", "customer-pw-1",
                        "manager-pw-1", "$argon2id$"})
      EXPECT_EQ(text.find(secret), std::string::npos) << rec.verb << " " << text;
  }
  EXPECT_NE(r.after->find("[redacted]"), std::string::npos);
  // Diffs carry only the changed fields.
  MailboxEdit e;
  e.display_name = "Robert";
  must(svc().edit_mailbox(admin(), "bob@a.example", e), "edit");
  auto last = must(svc().list_audit(admin(), 1), "last").front();
  auto before = parse_or_empty(*last.before), after = parse_or_empty(*last.after);
  EXPECT_EQ(after["display_name"], "Robert");
  EXPECT_FALSE(after.contains("quota_bytes"));
  // Scope: the postmaster of a sees a's records only; globex sees none of acme's.
  for (auto& rec : must(svc().list_audit(as("postmaster@a.example"), 1000), "pm"))
    EXPECT_EQ(rec.domain_id, must(store().find_domain("a.example"), "a")->id) << rec.target;
  for (auto& rec : must(svc().list_audit(as("ceo@globex.test"), 1000), "g"))
    EXPECT_EQ(rec.customer_id, must(store().find_customer("globex"), "g")->id);
  size_t acme = must(svc().list_audit(as("boss@acme.test"), 1000), "acme").size();
  size_t pm = must(svc().list_audit(as("postmaster@a.example"), 1000), "pm").size();
  EXPECT_GT(acme, pm);
  EXPECT_GT(pm, 0u);
  EXPECT_TRUE(must(svc().list_audit(as("alice@a.example"), 1000), "user").empty());
}

TEST_F(Auditing, TableIsAppendOnly) {
  auto& db = *conn_->db;
  EXPECT_FALSE(db.exec("UPDATE audit SET actor='x'").ok());
  EXPECT_FALSE(db.exec("DELETE FROM audit").ok());
}

TEST(Bootstrap, CreatesThePlatformAdminOnce) {
  auto db = std::move(*store::sqlite::Db::open(":memory:"));
  ASSERT_TRUE(db->migrate().ok());
  auth::PasswordOptions o;
  o.opslimit = 1;
  o.memlimit = 8192;
  store::sqlite::SqliteDirectoryStore st(*db);
  ASSERT_TRUE(bootstrap_platform_admin(st, "admin", "generated-password-1", o).ok());
  EXPECT_EQ(code(bootstrap_platform_admin(st, "admin", "generated-password-2", o)),
            Errc::kConflict);
  Options opts = testing::fast_options();
  opts.password = o;
  Service svc(st, opts);
  auto a = svc.login("admin", "generated-password-1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->role, Role::kAdmin);
  EXPECT_TRUE(svc.create_customer(*a, {"c", "", {}, {}}).ok());
  EXPECT_EQ(code(svc.login("admin", "generated-password-2")), Errc::kUnauthenticated);
}

}  // namespace
}  // namespace posthouse::directory
