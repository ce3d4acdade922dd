// directory::Service: the audit log and the retention of deleted objects (service_audit.cc).
#include <gtest/gtest.h>

#include "directory/json.h"
#include "directory/test_world.h"

namespace posthouse::directory {
namespace {

using base::Errc;
using testing::code;
using testing::must;
using testing::must_ok;
using testing::World;

class ServiceAudit : public World {};

TEST_F(ServiceAudit, RecordsAreRedactedAndScoped) {
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

TEST_F(ServiceAudit, TableIsAppendOnly) {
  auto& db = *conn_->db;
  EXPECT_FALSE(db.exec("UPDATE audit SET actor='x'").ok());
  EXPECT_FALSE(db.exec("DELETE FROM audit").ok());
}

TEST_F(ServiceAudit, ExpiredDeletionsArePurgedAfterRetention) {
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

// The CLI's `mailbox purge-expired` runs the same job on demand: platform.purge, the platform
// admin's alone; the purge is still audited as the system's.
TEST_F(ServiceAudit, PurgeExpiredOnDemandNeedsPlatformPurge) {
  now_ += 31 * 86400;  // gone@a.example (deleted in build) is past the retention period
  for (const char* login : {"boss@acme.test", "fm@outside.test", "postmaster@a.example"}) {
    auto n = svc().purge_expired(as(login));
    ASSERT_EQ(code(n), Errc::kForbidden) << login;
    EXPECT_EQ(n.error().message, "not allowed: platform.purge");
  }
  EXPECT_TRUE(must(store().find_mailbox("gone@a.example"), "gone").has_value());
  EXPECT_EQ(must(svc().purge_expired(admin()), "purge"), 1);
  EXPECT_FALSE(must(store().find_mailbox("gone@a.example"), "gone").has_value());
  EXPECT_EQ(must(svc().list_audit(admin(), 1), "audit").front().actor, "system");
}

}  // namespace
}  // namespace posthouse::directory
