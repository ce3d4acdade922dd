// The generated authorization matrix: every role x every verb x targets inside and outside the
// actor's scope, asserted against kExpected below. kExpected is written from DESIGN.md
// section 3 and docs/roles.md, not from policy.cc: a disagreement is a bug in one of them.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "directory/test_world.h"

namespace posthouse::directory {
namespace {

using testing::must;
using testing::must_ok;
using testing::World;
using K = Target::Kind;

// role -> allowed "verb@label" pairs. Everything not listed must be denied.
// Labels: P platform; C_own/C_other customers; M_own another manager of acme, M_other a globex
// manager; D_a, D_b (acme), D_g (globex); Da_staff/Da_exec/Db_staff/Dg_gstaff: mailbox.create
// with that template; MB_self the actor's own mailbox (alice@a for non-users), MB_a bob@a,
// MB_b carol@b, MB_g gina@g; AL_a/AL_b/AL_g aliases; T_own staff, T_exec, T_plat (platform),
// T_other (globex); DL_a, DL_b, DL_ab, DL_g delegations over those domains; AU_cust (acme,
// no domain), AU_a, AU_b, AU_g audit records; Q_a, Q_b, Q_g outbound queue entries sent for
// those domains, Q_none one no local domain owns (a bounce to a remote sender); PR_self the
// actor's own login, PR_own another acme login, PR_other a globex login; TK_self the actor's
// own API tokens.
const char* kCustomerRights = R"(
  customer.read@C_own customer.edit@C_own manager.create@C_own domain.create@C_own
  manager.read@M_own manager.edit@M_own manager.delete@M_own
  domain.read@D_a domain.edit@D_a domain.limits@D_a domain.delete@D_a domain.restore@D_a
  domain.purge@D_a postmaster.password@D_a
  domain.read@D_b domain.edit@D_b domain.limits@D_b domain.delete@D_b domain.restore@D_b
  domain.purge@D_b postmaster.password@D_b
  mailbox.create@Da_staff mailbox.create@Da_exec mailbox.create@Db_staff
  mailbox.read@MB_self mailbox.edit@MB_self mailbox.password@MB_self mailbox.delete@MB_self
  mailbox.restore@MB_self mailbox.purge@MB_self forward.edit@MB_self autoresponder.edit@MB_self
  mailbox.read@MB_a mailbox.edit@MB_a mailbox.password@MB_a mailbox.delete@MB_a
  mailbox.restore@MB_a mailbox.purge@MB_a forward.edit@MB_a autoresponder.edit@MB_a
  mailbox.read@MB_b mailbox.edit@MB_b mailbox.password@MB_b mailbox.delete@MB_b
  mailbox.restore@MB_b mailbox.purge@MB_b forward.edit@MB_b autoresponder.edit@MB_b
  alias.read@AL_a alias.edit@AL_a alias.read@AL_b alias.edit@AL_b
  template.read@T_own template.read@T_exec template.read@T_plat
  template.edit@T_own template.edit@T_exec
  delegation.read@DL_a delegation.create@DL_a delegation.delete@DL_a
  delegation.read@DL_b delegation.create@DL_b delegation.delete@DL_b
  delegation.read@DL_ab delegation.create@DL_ab delegation.delete@DL_ab
  audit.read@AU_cust audit.read@AU_a audit.read@AU_b
  queue.read@Q_a queue.manage@Q_a queue.read@Q_b queue.manage@Q_b
  principal.password@PR_self principal.password@PR_own
  token.create@TK_self token.revoke@TK_self
  spam.settings@MB_self quarantine.release@MB_self spam.settings@MB_a quarantine.release@MB_a spam.settings@MB_b quarantine.release@MB_b)";

const char* kCustomerOnly =
    "customer.edit@C_own manager.create@C_own manager.edit@M_own manager.delete@M_own "
    "principal.password@PR_own";

const char* kScopedManager = R"(
  customer.read@C_own
  domain.read@D_a domain.edit@D_a domain.limits@D_a domain.delete@D_a domain.restore@D_a
  domain.purge@D_a postmaster.password@D_a
  mailbox.create@Da_staff mailbox.create@Da_exec
  mailbox.read@MB_self mailbox.edit@MB_self mailbox.password@MB_self mailbox.delete@MB_self
  mailbox.restore@MB_self mailbox.purge@MB_self forward.edit@MB_self autoresponder.edit@MB_self
  mailbox.read@MB_a mailbox.edit@MB_a mailbox.password@MB_a mailbox.delete@MB_a
  mailbox.restore@MB_a mailbox.purge@MB_a forward.edit@MB_a autoresponder.edit@MB_a
  alias.read@AL_a alias.edit@AL_a
  template.read@T_own template.read@T_exec template.read@T_plat
  delegation.read@DL_a delegation.create@DL_a delegation.delete@DL_a
  audit.read@AU_a principal.password@PR_self
  queue.read@Q_a queue.manage@Q_a token.create@TK_self token.revoke@TK_self
  spam.settings@MB_self quarantine.release@MB_self spam.settings@MB_a quarantine.release@MB_a)";

const char* kPostmaster = R"(
  domain.read@D_a mailbox.create@Da_staff mailbox.create@Da_exec
  mailbox.read@MB_self mailbox.edit@MB_self mailbox.password@MB_self mailbox.delete@MB_self
  mailbox.restore@MB_self forward.edit@MB_self autoresponder.edit@MB_self
  mailbox.read@MB_a mailbox.edit@MB_a mailbox.password@MB_a mailbox.delete@MB_a
  mailbox.restore@MB_a forward.edit@MB_a autoresponder.edit@MB_a
  alias.read@AL_a alias.edit@AL_a
  template.read@T_own template.read@T_exec template.read@T_plat
  delegation.read@DL_a delegation.create@DL_a delegation.delete@DL_a
  audit.read@AU_a principal.password@PR_self token.create@TK_self token.revoke@TK_self
  spam.settings@MB_self quarantine.release@MB_self spam.settings@MB_a quarantine.release@MB_a)";

// Mailbox users of the staff template: its services leave tokens off.
const char* kUser =
    "mailbox.read@MB_self mailbox.password@MB_self forward.edit@MB_self autoresponder.edit@MB_self "
    "token.revoke@TK_self spam.settings@MB_self quarantine.release@MB_self";

// hr@a: mailbox.create (template staff), mailbox.delete, mailbox.password on a.example.
const char* kDelegate = R"(
  mailbox.read@MB_self mailbox.password@MB_self forward.edit@MB_self autoresponder.edit@MB_self
  mailbox.delete@MB_self token.revoke@TK_self
  mailbox.read@MB_a mailbox.password@MB_a mailbox.delete@MB_a
  domain.read@D_a mailbox.create@Da_staff template.read@T_own
  spam.settings@MB_self quarantine.release@MB_self)";

std::set<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::set<std::string> out;
  for (std::string w; in >> w;) out.insert(w);
  return out;
}

struct RoleCase {
  std::string role;
  std::string login;  // "" = the CLI admin
  std::set<std::string> allowed;
  bool all = false;
};

std::vector<RoleCase> roles() {
  auto cust = words(kCustomerRights);
  auto full = cust;
  for (auto& w : words(kCustomerOnly)) full.erase(w);
  full.insert("manager.read@M_own");
  return {
      {"admin", "", {}, true},
      {"customer", "boss@acme.test", cust},
      {"full manager", "fm@outside.test", full},
      {"scoped manager", "sm@outside.test", words(kScopedManager)},
      {"postmaster", "postmaster@a.example", words(kPostmaster)},
      {"user", "alice@a.example", words(kUser)},
      {"delegate", "hr@a.example", words(kDelegate)},
      {"expired delegate", "old@a.example", words(kUser)},
      {"deleted user", "gone@a.example", {}},
  };
}

class PolicyMatrix : public World {};

TEST_F(PolicyMatrix, EveryRoleTimesEveryVerbTimesScope) {
  auto id_of_domain = [&](const char* n) { return must(store().find_domain(n), n)->id; };
  auto mb = [&](const char* addr) { return *must(store().find_mailbox(addr), addr); };
  auto tpl = [&](Id c, const char* n) { return must(store().find_template(c, n), n)->id; };
  auto principal = [&](const char* l) { return *must(store().find_principal(l), l); };
  Id acme = must(store().find_customer("acme"), "acme")->id;
  Id globex = must(store().find_customer("globex"), "globex")->id;
  Id da = id_of_domain("a.example"), db = id_of_domain("b.example"), dg = id_of_domain("g.example");
  auto mbox_t = [&](const Mailbox& m) {
    Id c = m.domain_id == dg ? globex : acme;
    return Target::mailbox(c, m.domain_id, m.id);
  };
  auto alias_t = [&](Id c, Id d) { return Target::of(K::kAlias, 0, c, d); };
  auto create_t = [&](Id c, Id d, Id t) {
    Target x = Target::domain(c, d);
    x.template_id = t;
    return x;
  };
  auto deleg_t = [&](Id c, std::vector<Id> ds) {
    Target x = Target::of(K::kDelegation, 0, c);
    x.domain_ids = std::move(ds);
    return x;
  };
  auto mgr_t = [&](const Principal& p) { return Target::of(K::kManager, p.id, p.customer_id); };
  std::map<std::string, Target> fixed = {
      {"P", Target::platform()},
      {"C_own", Target::customer(acme)},
      {"C_other", Target::customer(globex)},
      {"M_own", mgr_t(principal("other@outside.test"))},
      {"M_other", mgr_t(principal("gm@outside.test"))},
      {"D_a", Target::domain(acme, da)},
      {"D_b", Target::domain(acme, db)},
      {"D_g", Target::domain(globex, dg)},
      {"Da_staff", create_t(acme, da, tpl(acme, "staff"))},
      {"Da_exec", create_t(acme, da, tpl(acme, "exec"))},
      {"Db_staff", create_t(acme, db, tpl(acme, "staff"))},
      {"Dg_gstaff", create_t(globex, dg, tpl(globex, "gstaff"))},
      {"MB_a", mbox_t(mb("bob@a.example"))},
      {"MB_b", mbox_t(mb("carol@b.example"))},
      {"MB_g", mbox_t(mb("gina@g.example"))},
      {"AL_a", alias_t(acme, da)},
      {"AL_b", alias_t(acme, db)},
      {"AL_g", alias_t(globex, dg)},
      {"T_own", Target::of(K::kTemplate, tpl(acme, "staff"), acme)},
      {"T_exec", Target::of(K::kTemplate, tpl(acme, "exec"), acme)},
      {"T_plat", Target::of(K::kTemplate, tpl(0, "basic"), 0)},
      {"T_other", Target::of(K::kTemplate, tpl(globex, "gstaff"), globex)},
      {"DL_a", deleg_t(acme, {da})},
      {"DL_b", deleg_t(acme, {db})},
      {"DL_ab", deleg_t(acme, {da, db})},
      {"DL_g", deleg_t(globex, {dg})},
      {"AU_cust", Target::of(K::kAudit, 0, acme, 0)},
      {"AU_a", Target::of(K::kAudit, 0, acme, da)},
      {"AU_b", Target::of(K::kAudit, 0, acme, db)},
      {"AU_g", Target::of(K::kAudit, 0, globex, dg)},
      {"Q_a", Target::queue_entry(1, acme, da)},
      {"Q_b", Target::queue_entry(2, acme, db)},
      {"Q_g", Target::queue_entry(3, globex, dg)},
      {"Q_none", Target::queue_entry(4, 0, 0)},
      {"PR_own", mgr_t(principal("other@outside.test"))},
      {"PR_other", mgr_t(principal("gm@outside.test"))},
      {"TK_self", Target::own_token()},
  };
  // Which labels each verb is tried on.
  auto labels_for = [](Verb v) -> std::vector<std::string> {
    std::string n(verb_name(v));
    if (v == Verb::kCustomerCreate) return {"P", "C_own"};
    // Platform settings and jobs: the platform admin alone (every other role is denied on P).
    if (n.rfind("platform.", 0) == 0) return {"P"};
    if (n.rfind("token.", 0) == 0) return {"TK_self"};
    if (v == Verb::kManagerCreate || v == Verb::kDomainCreate || n.rfind("customer.", 0) == 0)
      return {"C_own", "C_other"};
    if (n.rfind("manager.", 0) == 0) return {"M_own", "M_other"};
    if (v == Verb::kMailboxCreate) return {"Da_staff", "Da_exec", "Db_staff", "Dg_gstaff"};
    if (n.rfind("domain.", 0) == 0 || v == Verb::kPostmasterPassword) return {"D_a", "D_b", "D_g"};
    if (n.rfind("mailbox.", 0) == 0 || v == Verb::kForwardEdit || v == Verb::kAutoresponderEdit ||
        v == Verb::kSpamSettings || v == Verb::kQuarantineRelease)
      return {"MB_self", "MB_a", "MB_b", "MB_g"};
    if (n.rfind("alias.", 0) == 0) return {"AL_a", "AL_b", "AL_g"};
    if (n.rfind("template.", 0) == 0) return {"T_own", "T_exec", "T_plat", "T_other"};
    if (n.rfind("delegation.", 0) == 0) return {"DL_a", "DL_b", "DL_ab", "DL_g"};
    if (v == Verb::kAuditRead) return {"AU_cust", "AU_a", "AU_b", "AU_g"};
    if (n.rfind("queue.", 0) == 0) return {"Q_a", "Q_b", "Q_g", "Q_none"};
    return {"PR_self", "PR_own", "PR_other"};
  };

  int assertions = 0, allowed = 0;
  for (const auto& rc : roles()) {
    Actor actor = rc.login.empty() ? admin() : as(rc.login);
    for (int vi = 0; vi < kVerbCount; ++vi) {
      Verb v = static_cast<Verb>(vi);
      for (const auto& label : labels_for(v)) {
        Target t;
        if (label == "MB_self") {
          t = mbox_t(mb(actor.role == Role::kUser ? actor.login.c_str() : "alice@a.example"));
        } else if (label == "PR_self") {
          if (actor.principal_id == 0) continue;  // mailbox users have no principal login
          t = Target::of(K::kManager, actor.principal_id, actor.customer_id);
        } else {
          t = fixed.at(label);
        }
        std::string key = std::string(verb_name(v)) + "@" + label;
        bool expect = rc.all || rc.allowed.count(key) > 0;
        auto st = svc().policy().check(actor, v, t);
        EXPECT_EQ(st.ok(), expect) << rc.role << " " << key;
        if (!st.ok()) {
          // Denials are either "not found" (invisible) or "forbidden" (visible), never other.
          EXPECT_TRUE(st.error().code == base::Errc::kNotFound ||
                      st.error().code == base::Errc::kForbidden);
        }
        ++assertions;
        allowed += expect;
      }
    }
  }
  // Every listed expectation must have been exercised (a typo in the table cannot pass).
  for (const auto& rc : roles()) {
    for (const auto& w : rc.allowed) {
      auto at = w.find('@');
      auto v = verb_from_name(w.substr(0, at));
      ASSERT_TRUE(v.has_value()) << "unknown verb in table: " << w;
      auto ls = labels_for(*v);
      EXPECT_TRUE(std::find(ls.begin(), ls.end(), w.substr(at + 1)) != ls.end())
          << "label not tried: " << w;
    }
  }
  std::printf("[ matrix   ] %d authorization assertions (%d allow, %d deny)\n", assertions, allowed,
              assertions - allowed);
  EXPECT_GT(assertions, 900);
}

// Outside scope, "exists" and "does not exist" are indistinguishable (invariant 8).
TEST_F(PolicyMatrix, OutOfScopeAnswersLikeNonexistent) {
  Actor pm = as("postmaster@a.example");
  auto foreign = svc().get_mailbox(pm, "gina@g.example");
  auto missing = svc().get_mailbox(pm, "nobody@g.example");
  ASSERT_FALSE(foreign.ok());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(foreign.error().code, base::Errc::kNotFound);
  EXPECT_EQ(missing.error().code, base::Errc::kNotFound);
  EXPECT_EQ(foreign.error().message.substr(foreign.error().message.find('\'', 9)),
            missing.error().message.substr(missing.error().message.find('\'', 9)));
  auto fd = svc().get_domain(pm, "g.example");
  auto md = svc().get_domain(pm, "nothing.example");
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.error().code, base::Errc::kNotFound);
  EXPECT_EQ(fd.error().message, "domain 'g.example' not found");
  EXPECT_EQ(md.error().message, "domain 'nothing.example' not found");
  // Same by id ("#id"): customer A touching customer B's domain.
  Id g = must(store().find_domain("g.example"), "g")->id;
  auto byid = svc().delete_domain(as("boss@acme.test"), "#" + std::to_string(g));
  ASSERT_FALSE(byid.ok());
  EXPECT_EQ(byid.error().code, base::Errc::kNotFound);
  EXPECT_EQ(byid.error().message, "domain '#" + std::to_string(g) + "' not found");
  auto nothing = svc().delete_domain(as("boss@acme.test"), "#999999");
  EXPECT_EQ(nothing.error().message, "domain '#999999' not found");
  EXPECT_EQ(must(store().get_domain(g), "g").status, "active");
}

// Platform limits: only the platform admin reads or sets them; a read-only admin token reads
// but cannot set; nobody else even reads, and they answer forbidden (the platform is no
// secret), never ok.
TEST_F(PolicyMatrix, PlatformLimitsArePlatformAdminOnly) {
  const auto& p = svc().policy();
  EXPECT_TRUE(p.allows(admin(), Verb::kPlatformRead, Target::platform()));
  EXPECT_TRUE(p.allows(admin(), Verb::kPlatformLimits, Target::platform()));
  Actor ro = admin();
  ro.token_scope = TokenScope{{}, {}, true, {}};
  EXPECT_TRUE(p.allows(ro, Verb::kPlatformRead, Target::platform()));
  EXPECT_FALSE(p.allows(ro, Verb::kPlatformLimits, Target::platform()));
  Actor narrowed = admin();
  narrowed.token_scope = TokenScope{{}, {Verb::kPlatformRead}, false, {}};
  EXPECT_FALSE(p.allows(narrowed, Verb::kPlatformLimits, Target::platform()));
  for (const char* login : {"boss@acme.test", "fm@outside.test", "sm@outside.test",
                            "postmaster@a.example", "alice@a.example", "hr@a.example"}) {
    for (Verb v : {Verb::kPlatformRead, Verb::kPlatformLimits, Verb::kPlatformPurge,
                   Verb::kPlatformBootstrap, Verb::kPlatformTemplate}) {
      auto st = p.check(as(login), v, Target::platform());
      ASSERT_FALSE(st.ok()) << login;
      EXPECT_EQ(st.error().code, base::Errc::kForbidden) << login;
    }
  }
}

// An admin login holds every platform verb but platform.bootstrap: only the local operator
// (the CLI admin without a login, who holds the database file) creates admin logins.
TEST_F(PolicyMatrix, BootstrapIsTheLocalOperatorsAlone) {
  auth::PasswordOptions fast = testing::fast_options().password;
  must_ok(bootstrap_platform_admin(store(), "root", "root-password-1", fast), "root");
  Actor root = as("root");
  const auto& p = svc().policy();
  for (Verb v : {Verb::kPlatformRead, Verb::kPlatformLimits, Verb::kPlatformPurge,
                 Verb::kPlatformTemplate, Verb::kCustomerCreate})
    EXPECT_TRUE(p.allows(root, v, Target::platform())) << verb_name(v);
  auto st = p.check(root, Verb::kPlatformBootstrap, Target::platform());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, base::Errc::kForbidden);
  EXPECT_EQ(st.error().message, "not allowed: platform.bootstrap");
  EXPECT_TRUE(p.allows(admin(), Verb::kPlatformBootstrap, Target::platform()));
  // Platform verbs need the platform target.
  Id acme = must(store().find_customer("acme"), "acme")->id;
  EXPECT_FALSE(p.allows(admin(), Verb::kPlatformPurge, Target::customer(acme)));
}

// token.create: any login for its own tokens, a mailbox only with the tokens service, never
// a request that is itself authenticated by a token (whatever the token's scope).
TEST_F(PolicyMatrix, TokensAreMintedByTheirOwnerOnlyNeverByAToken) {
  const auto& p = svc().policy();
  Actor alice = as("alice@a.example");
  EXPECT_FALSE(p.allows(alice, Verb::kTokenCreate, Target::own_token()));
  alice.tokens_allowed = true;
  EXPECT_TRUE(p.allows(alice, Verb::kTokenCreate, Target::own_token()));
  for (Actor a : {admin(), as("boss@acme.test"), as("postmaster@a.example"), alice}) {
    EXPECT_TRUE(p.allows(a, Verb::kTokenCreate, Target::own_token())) << a.login;
    a.token_id = 7;
    a.token_scope = TokenScope{};
    auto st = p.check(a, Verb::kTokenCreate, Target::own_token());
    ASSERT_FALSE(st.ok()) << a.login;
    EXPECT_EQ(st.error().code, base::Errc::kForbidden);
    EXPECT_EQ(st.error().message, "not allowed: token.create");
  }
  // Only on one's own tokens: not on any other target, delegated or not.
  EXPECT_FALSE(p.allows(admin(), Verb::kTokenCreate, Target::platform()));
  EXPECT_FALSE(p.allows(as("hr@a.example"), Verb::kTokenCreate, Target::own_token()));
}

// token.revoke: a token narrowed to other verbs or domains may still revoke its owner's
// tokens (they lie outside its scope); a read-only one may not.
TEST_F(PolicyMatrix, TokensRevokeTheirOwnersTokensUnlessReadOnly) {
  const auto& p = svc().policy();
  Actor boss = as("boss@acme.test");
  Id da = must(store().find_domain("a.example"), "a")->id;
  boss.token_id = 7;
  boss.token_scope = TokenScope{{da}, {Verb::kDomainRead}, false, {}};
  EXPECT_TRUE(p.allows(boss, Verb::kTokenRevoke, Target::own_token(3)));
  EXPECT_FALSE(p.allows(boss, Verb::kMailboxRead, Target::own_token(3)));
  boss.token_scope->read_only = true;
  auto st = p.check(boss, Verb::kTokenRevoke, Target::own_token(3));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, base::Errc::kForbidden);
  EXPECT_EQ(st.error().message, "not allowed: token.revoke");
  // A mailbox whose tokens service is off still revokes what it holds.
  EXPECT_TRUE(p.allows(as("alice@a.example"), Verb::kTokenRevoke, Target::own_token(3)));
  EXPECT_FALSE(p.allows(as("gone@a.example"), Verb::kTokenRevoke, Target::own_token(3)));
}

TEST_F(PolicyMatrix, TokenScopeNarrowsButNeverWidens) {
  Actor boss = as("boss@acme.test");
  Id da = must(store().find_domain("a.example"), "a")->id;
  Id db = must(store().find_domain("b.example"), "b")->id;
  Id acme = boss.customer_id;
  boss.token_scope = TokenScope{{da}, {}, true, {}};
  EXPECT_TRUE(svc().policy().allows(boss, Verb::kDomainRead, Target::domain(acme, da)));
  EXPECT_FALSE(svc().policy().allows(boss, Verb::kDomainEdit, Target::domain(acme, da)));
  EXPECT_FALSE(svc().policy().allows(boss, Verb::kDomainRead, Target::domain(acme, db)));
  Actor alice = as("alice@a.example");
  alice.token_scope = TokenScope{};  // an unrestricted token still has only its owner's rights
  EXPECT_FALSE(svc().policy().allows(alice, Verb::kMailboxDelete,
                                     Target::mailbox(acme, da, alice.mailbox_id)));
}

// Queue entries: a token narrows like everywhere else; out of scope is invisible (not found),
// in scope without the verb is forbidden.
TEST_F(PolicyMatrix, QueueEntriesFollowTokenScopeAndHideOutOfScope) {
  Actor boss = as("boss@acme.test");
  Id da = must(store().find_domain("a.example"), "a")->id;
  Id db = must(store().find_domain("b.example"), "b")->id;
  Id dg = must(store().find_domain("g.example"), "g")->id;
  Id acme = boss.customer_id;
  Id globex = as("gm@outside.test").customer_id;
  auto qa = Target::queue_entry(1, acme, da), qb = Target::queue_entry(2, acme, db);
  auto qg = Target::queue_entry(3, globex, dg), qnone = Target::queue_entry(4, 0, 0);
  EXPECT_EQ(svc().policy().check(boss, Verb::kQueueManage, qg).error().code, base::Errc::kNotFound);
  EXPECT_EQ(svc().policy().check(boss, Verb::kQueueRead, qnone).error().code,
            base::Errc::kNotFound);
  EXPECT_TRUE(svc().policy().check(admin(), Verb::kQueueManage, qnone).ok());
  boss.token_scope = TokenScope{{da}, {}, true, {}};
  EXPECT_TRUE(svc().policy().check(boss, Verb::kQueueRead, qa).ok());
  EXPECT_EQ(svc().policy().check(boss, Verb::kQueueManage, qa).error().code,
            base::Errc::kForbidden);
  EXPECT_EQ(svc().policy().check(boss, Verb::kQueueRead, qb).error().code, base::Errc::kNotFound);
  Actor pm = as("postmaster@a.example");
  EXPECT_EQ(svc().policy().check(pm, Verb::kQueueRead, qa).error().code, base::Errc::kNotFound);
}

}  // namespace
}  // namespace posthouse::directory
