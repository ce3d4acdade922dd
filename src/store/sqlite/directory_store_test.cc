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

}  // namespace
}  // namespace posthouse::store::sqlite
