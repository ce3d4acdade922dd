#include "store/sqlite/directory_store.h"

#include <gtest/gtest.h>

namespace posthouse::store::sqlite {
namespace {

namespace d = model;
using base::Errc;

class DirectoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(*Db::open(":memory:"));
    ASSERT_TRUE(db_->migrate().ok());
    st_ = std::make_unique<SqliteDirectoryStore>(*db_);
    d::Customer c;
    c.name = "acme";
    c.limits.max_mailboxes = 7;
    c.branding.product_name = "Acme";
    cust_ = *st_->insert_customer(c);
    d::Domain dom;
    dom.name = "a.example";
    dom.customer_id = cust_;
    dom_ = *st_->insert_domain(dom);
  }
  d::Mailbox mailbox(const std::string& addr, int64_t quota) {
    d::Mailbox m;
    m.address = addr;
    m.domain_id = dom_;
    m.quota_bytes = quota;
    m.forward_to = {"x@home.test"};
    m.services.pop3 = false;
    return m;
  }
  std::unique_ptr<Db> db_;
  std::unique_ptr<SqliteDirectoryStore> st_;
  d::Id cust_ = 0, dom_ = 0;
};

TEST_F(DirectoryStoreTest, RoundTripsEveryField) {
  auto c = *st_->get_customer(cust_);
  EXPECT_EQ(c.limits.max_mailboxes, 7);
  EXPECT_FALSE(c.limits.max_domains.has_value());
  EXPECT_EQ(c.branding.product_name, "Acme");
  auto m = mailbox("bob@a.example", 1000);
  m.last_login_protocol = "imap";
  m.last_login_at = 42;
  m.template_version = 3;
  m.template_id = 9;
  d::Id id = *st_->insert_mailbox(m);
  auto back = *st_->get_mailbox(id);
  EXPECT_EQ(back.address, "bob@a.example");
  EXPECT_EQ(back.forward_to, std::vector<std::string>{"x@home.test"});
  EXPECT_FALSE(back.services.pop3);
  EXPECT_TRUE(back.services.imap);
  EXPECT_EQ(back.last_login_protocol, "imap");
  EXPECT_EQ(back.last_login_at, 42);
  EXPECT_EQ(back.template_version, 3);
  EXPECT_EQ(st_->get_mailbox(9999).error().code, Errc::kNotFound);
  EXPECT_FALSE(st_->find_mailbox("nobody@a.example")->has_value());
}

TEST_F(DirectoryStoreTest, UniquenessIsAConflict) {
  ASSERT_TRUE(st_->insert_mailbox(mailbox("bob@a.example", 1)).ok());
  auto dup = st_->insert_mailbox(mailbox("bob@a.example", 1));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, Errc::kConflict);
  d::Domain again;
  again.name = "a.example";
  again.customer_id = cust_;
  EXPECT_EQ(st_->insert_domain(again).error().code, Errc::kConflict);
}

TEST_F(DirectoryStoreTest, UsageCountsOnlyLiveObjects) {
  ASSERT_TRUE(st_->insert_mailbox(mailbox("a@a.example", 100)).ok());
  auto gone = mailbox("b@a.example", 50);
  gone.status = "deleted";
  ASSERT_TRUE(st_->insert_mailbox(gone).ok());
  auto dis = mailbox("c@a.example", 10);
  dis.status = "disabled";  // disabled still holds its slot and quota
  ASSERT_TRUE(st_->insert_mailbox(dis).ok());
  auto u = *st_->usage_domain(dom_);
  EXPECT_EQ(u.mailboxes, 2);
  EXPECT_EQ(u.bytes, 110);
  EXPECT_EQ(st_->usage_customer(cust_)->domains, 1);
  EXPECT_EQ(st_->usage_platform()->mailboxes, 2);
  d::Principal mgr;
  mgr.kind = d::PrincipalKind::kManager;
  mgr.login = "m@x.test";
  mgr.customer_id = cust_;
  mgr.domain_ids = {dom_};
  d::Id mid = *st_->insert_principal(mgr);
  EXPECT_EQ(st_->usage_manager(mid)->bytes, 110);
  EXPECT_EQ(*st_->managers_of_domain(dom_), std::vector<d::Id>{mid});
  EXPECT_EQ(st_->get_principal(mid)->domain_ids, std::vector<d::Id>{dom_});
}

TEST_F(DirectoryStoreTest, TransactionsRollBackAndNest) {
  auto st = st_->in_transaction([&]() -> base::Status {
    PH_TRY(st_->insert_mailbox(mailbox("in-tx@a.example", 1)));
    PH_CHECK(st_->in_transaction([&]() -> base::Status {  // joins the outer one
      PH_TRY(st_->insert_mailbox(mailbox("nested@a.example", 1)));
      return {};
    }));
    return base::Error(Errc::kInvalid, "abort");
  });
  EXPECT_EQ(st.error().code, Errc::kInvalid);
  EXPECT_FALSE(st_->find_mailbox("in-tx@a.example")->has_value());
  EXPECT_FALSE(st_->find_mailbox("nested@a.example")->has_value());
  ASSERT_TRUE(st_->in_transaction([&]() -> base::Status {
                   PH_TRY(st_->insert_mailbox(mailbox("kept@a.example", 1)));
                   return {};
                 })
                  .ok());
  EXPECT_TRUE(st_->find_mailbox("kept@a.example")->has_value());
}

TEST_F(DirectoryStoreTest, TemplatesKeepEveryVersion) {
  d::Template t;
  t.customer_id = cust_;
  t.name = "staff";
  t.settings.quota_bytes = 10;
  d::Id id = *st_->insert_template(t);
  d::TemplateSettings v2;
  v2.quota_bytes = 20;
  v2.services.tokens = true;
  EXPECT_EQ(*st_->add_template_version(id, v2), 2);
  EXPECT_EQ(st_->get_template(id)->settings.quota_bytes, 20);
  EXPECT_TRUE(st_->get_template(id)->settings.services.tokens);
  EXPECT_EQ(st_->get_template_version(id, 1)->quota_bytes, 10);
  EXPECT_EQ(st_->get_template_version(id, 3).error().code, Errc::kNotFound);
  d::Template plat;
  plat.name = "staff";  // same name, platform-wide: allowed
  ASSERT_TRUE(st_->insert_template(plat).ok());
  EXPECT_EQ(st_->list_templates(cust_)->size(), 2u);
  EXPECT_EQ(st_->list_templates(0)->size(), 1u);
  EXPECT_EQ(st_->insert_template(t).error().code, Errc::kConflict);
}

TEST_F(DirectoryStoreTest, DelegationsAndAuditPaging) {
  d::Id mb = *st_->insert_mailbox(mailbox("hr@a.example", 1));
  d::Delegation dl;
  dl.customer_id = cust_;
  dl.grantee_mailbox_id = mb;
  dl.verbs = {d::Verb::kMailboxCreate, d::Verb::kMailboxDelete};
  dl.domain_ids = {dom_};
  dl.template_ids = {4, 5};
  dl.expires_at = 99;
  ASSERT_TRUE(st_->insert_delegation(dl).ok());
  auto got = *st_->delegations_of(0, mb);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].verbs, dl.verbs);
  EXPECT_EQ(got[0].template_ids, dl.template_ids);
  EXPECT_EQ(got[0].expires_at, 99);
  EXPECT_TRUE(st_->delegations_of(mb, 0)->empty());  // a principal id is not a mailbox id
  for (int i = 0; i < 5; ++i) {
    d::AuditRecord r;
    r.at = i;
    r.actor = "admin";
    r.actor_kind = "admin";
    r.source = "cli";
    r.verb = "x";
    r.target = "t" + std::to_string(i);
    r.customer_id = i % 2 ? std::optional<d::Id>(cust_) : std::nullopt;
    ASSERT_TRUE(st_->append_audit(r).ok());
  }
  auto page = *st_->list_audit(0, 0, 2);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].target, "t4");
  auto next = *st_->list_audit(0, page.back().id, 10);
  EXPECT_EQ(next.size(), 3u);
  EXPECT_EQ(st_->list_audit(cust_, 0, 10)->size(), 2u);
}

// Every column of every record read back as written (the readers name each field once).
TEST_F(DirectoryStoreTest, RoundTripsCustomersAndPrincipals) {
  auto c = *st_->get_customer(cust_);
  c.status = "disabled";
  c.limits = {1, 2, 3, 4};
  c.branding.sender_name = "Acme Mail";
  c.updated_at = 77;
  ASSERT_TRUE(st_->update_customer(c).ok());
  auto back = **st_->find_customer("acme");
  EXPECT_EQ(back.status, "disabled");
  EXPECT_EQ(back.limits.max_domains, 1);
  EXPECT_EQ(back.limits.max_total_bytes, 4);
  EXPECT_EQ(back.branding.sender_name, "Acme Mail");
  EXPECT_EQ(back.updated_at, 77);
  EXPECT_EQ(st_->list_customers()->size(), 1u);

  d::Principal p;
  p.kind = d::PrincipalKind::kManager;
  p.login = "boss@x.test";
  p.display_name = "Boss";
  p.password_hash = "$argon2id$h";
  p.customer_id = cust_;
  p.manager_kind = d::ManagerKind::kFull;
  p.limits = {std::nullopt, 5, std::nullopt, 6};
  p.branding.product_name = "Boss Mail";
  p.domain_ids = {dom_};
  p.created_at = 10;
  p.updated_at = 11;
  d::Id pid = *st_->insert_principal(p);
  auto got = **st_->find_principal("boss@x.test");
  EXPECT_EQ(got.id, pid);
  EXPECT_EQ(got.kind, d::PrincipalKind::kManager);
  EXPECT_EQ(got.display_name, "Boss");
  EXPECT_EQ(got.password_hash, "$argon2id$h");
  EXPECT_EQ(got.customer_id, cust_);
  EXPECT_EQ(got.domain_id, 0);
  EXPECT_EQ(got.manager_kind, d::ManagerKind::kFull);
  EXPECT_FALSE(got.limits.max_domains.has_value());
  EXPECT_EQ(got.limits.max_mailboxes, 5);
  EXPECT_EQ(got.limits.max_total_bytes, 6);
  EXPECT_EQ(got.branding.product_name, "Boss Mail");
  EXPECT_EQ(got.domain_ids, std::vector<d::Id>{dom_});
  EXPECT_EQ(got.created_at, 10);
  got.manager_kind = d::ManagerKind::kScoped;
  got.domain_ids = {};
  got.status = "disabled";
  ASSERT_TRUE(st_->update_principal(got).ok());
  auto again = *st_->get_principal(pid);
  EXPECT_EQ(again.manager_kind, d::ManagerKind::kScoped);
  EXPECT_TRUE(again.domain_ids.empty());
  EXPECT_EQ(again.status, "disabled");
  d::Principal pm;
  pm.kind = d::PrincipalKind::kPostmaster;
  pm.login = "postmaster@a.example";
  pm.customer_id = cust_;
  pm.domain_id = dom_;
  ASSERT_TRUE(st_->insert_principal(pm).ok());
  auto all = *st_->list_principals(cust_);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].kind, d::PrincipalKind::kPostmaster);
  EXPECT_EQ(all[1].domain_id, dom_);
  ASSERT_TRUE(st_->delete_principal(pid).ok());
  EXPECT_EQ(st_->get_principal(pid).error().code, Errc::kNotFound);
}

TEST_F(DirectoryStoreTest, RoundTripsDomainsAliasesAndLimits) {
  auto dom = *st_->get_domain(dom_);
  EXPECT_EQ(dom.customer_id, cust_);
  EXPECT_FALSE(dom.catchall.has_value());
  dom.status = "deleted";
  dom.deleted_at = 5;
  dom.limits = {std::nullopt, 8, 9, 10};
  dom.catchall = "all@a.example";
  dom.updated_at = 12;
  ASSERT_TRUE(st_->update_domain(dom).ok());
  auto back = **st_->find_domain("a.example");
  EXPECT_EQ(back.deleted_at, 5);
  EXPECT_FALSE(back.limits.max_domains.has_value());
  EXPECT_EQ(back.limits.max_mailboxes, 8);
  EXPECT_EQ(back.limits.max_total_bytes, 10);
  EXPECT_EQ(back.catchall, "all@a.example");
  EXPECT_EQ(back.updated_at, 12);
  EXPECT_EQ(st_->list_domains(0)->size(), 1u);
  EXPECT_EQ(*st_->expired_domains(6), std::vector<d::Id>{dom_});
  EXPECT_TRUE(st_->expired_domains(5)->empty());

  ASSERT_TRUE(st_->insert_domain_alias({0, "b.example", dom_}).ok());
  auto da = **st_->find_domain_alias("b.example");
  EXPECT_EQ(da.domain_id, dom_);
  EXPECT_EQ(st_->list_domain_aliases(dom_)->at(0).name, "b.example");
  ASSERT_TRUE(st_->delete_domain_alias(da.id).ok());
  EXPECT_FALSE(st_->find_domain_alias("b.example")->has_value());

  d::Id al = *st_->insert_alias({0, "sales@a.example", dom_, {"x@y.test", "z@y.test"}});
  auto a = **st_->find_alias("sales@a.example");
  EXPECT_EQ(a.id, al);
  EXPECT_EQ(a.targets, (std::vector<std::string>{"x@y.test", "z@y.test"}));
  a.targets = {"only@y.test"};
  ASSERT_TRUE(st_->update_alias(a).ok());
  EXPECT_EQ(st_->list_aliases(dom_)->at(0).targets, std::vector<std::string>{"only@y.test"});

  ASSERT_TRUE(st_->set_platform_limits({1, std::nullopt, 3, 4}, 100).ok());
  auto lim = *st_->get_platform_limits();
  EXPECT_EQ(lim.max_domains, 1);
  EXPECT_FALSE(lim.max_mailboxes.has_value());
  EXPECT_EQ(lim.max_total_bytes, 4);
}

TEST_F(DirectoryStoreTest, RoundTripsMailboxUpdatesAndExpiry) {
  d::Id id = *st_->insert_mailbox(mailbox("gone@a.example", 5));
  auto m = *st_->get_mailbox(id);
  EXPECT_EQ(m.template_id, 0);
  EXPECT_FALSE(m.last_login_at.has_value());
  m.status = "deleted";
  m.deleted_at = 3;
  m.forward_keep_copy = false;
  m.settings_json = R"({"lang":"fr"})";
  m.display_name = "Gone";
  ASSERT_TRUE(st_->update_mailbox(m).ok());
  auto back = st_->list_mailboxes(dom_)->at(0);
  EXPECT_EQ(back.deleted_at, 3);
  EXPECT_FALSE(back.forward_keep_copy);
  EXPECT_EQ(back.settings_json, R"({"lang":"fr"})");
  EXPECT_EQ(back.display_name, "Gone");
  EXPECT_EQ(*st_->expired_mailboxes(4), std::vector<d::Id>{id});
  ASSERT_TRUE(st_->delete_mailbox(id).ok());
  EXPECT_TRUE(st_->list_mailboxes(dom_)->empty());
}

TEST_F(DirectoryStoreTest, RoundTripsTokensAndAuditRecords) {
  d::Id mb = *st_->insert_mailbox(mailbox("tok@a.example", 1));
  d::ApiToken t;
  t.owner_mailbox_id = mb;
  t.name = "ci";
  t.prefix = "ph_ab";
  t.secret_hash = "hash1";
  t.scope.domain_ids = {dom_};
  t.scope.verbs = {d::Verb::kMailboxRead, d::Verb::kAliasEdit};
  t.scope.read_only = true;
  t.scope.ip_allow = {"10.0.0.0/8"};
  t.expires_at = 50;
  t.created_at = 7;
  d::Id tid = *st_->insert_token(t);
  ASSERT_TRUE(st_->touch_token(tid, 20, "192.0.2.1").ok());
  auto got = **st_->find_token_by_hash("hash1");
  EXPECT_EQ(got.id, tid);
  EXPECT_EQ(got.owner_principal_id, 0);
  EXPECT_EQ(got.owner_mailbox_id, mb);
  EXPECT_EQ(got.name, "ci");
  EXPECT_EQ(got.prefix, "ph_ab");
  EXPECT_EQ(got.scope.domain_ids, std::vector<d::Id>{dom_});
  EXPECT_EQ(got.scope.verbs, t.scope.verbs);
  EXPECT_TRUE(got.scope.read_only);
  EXPECT_EQ(got.scope.ip_allow, t.scope.ip_allow);
  EXPECT_EQ(got.expires_at, 50);
  EXPECT_EQ(got.last_used_at, 20);
  EXPECT_EQ(got.last_used_ip, "192.0.2.1");
  EXPECT_FALSE(got.revoked_at.has_value());
  EXPECT_EQ(got.created_at, 7);
  ASSERT_TRUE(st_->revoke_token(tid, 30).ok());
  ASSERT_TRUE(st_->revoke_token(tid, 40).ok());  // the first revocation stays
  EXPECT_EQ(st_->get_token(tid)->revoked_at, 30);
  EXPECT_EQ(st_->list_tokens(0, mb)->size(), 1u);
  EXPECT_TRUE(st_->list_tokens(mb, 0)->empty());

  d::AuditRecord r;
  r.at = 1;
  r.actor = "root";
  r.actor_kind = "admin";
  r.token_id = tid;
  r.source = "api";
  r.ip = "192.0.2.9";
  r.verb = "mailbox.edit";
  r.target = "tok@a.example";
  r.customer_id = cust_;
  r.domain_id = dom_;
  r.mailbox_id = mb;
  r.before = "{}";
  r.after = R"({"quota":1})";
  ASSERT_TRUE(st_->append_audit(r).ok());
  auto a = st_->list_audit(cust_, 0, 1)->at(0);
  EXPECT_EQ(a.actor, "root");
  EXPECT_EQ(a.actor_kind, "admin");
  EXPECT_EQ(a.token_id, tid);
  EXPECT_EQ(a.source, "api");
  EXPECT_EQ(a.ip, "192.0.2.9");
  EXPECT_EQ(a.verb, "mailbox.edit");
  EXPECT_EQ(a.target, "tok@a.example");
  EXPECT_EQ(a.domain_id, dom_);
  EXPECT_EQ(a.mailbox_id, mb);
  EXPECT_EQ(a.before, "{}");
  EXPECT_EQ(a.after, R"({"quota":1})");
}

}  // namespace
}  // namespace posthouse::store::sqlite
