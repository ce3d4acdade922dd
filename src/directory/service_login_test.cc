// directory::Service: logins, mail authentication and the credential cache, passwords of
// non-mailbox logins (service_login.cc).
#include <gtest/gtest.h>

#include "directory/test_world.h"

namespace posthouse::directory {
namespace {

using base::Errc;
using testing::code;
using testing::must;
using testing::must_ok;
using testing::World;

class ServiceLogin : public World {};

class ServiceLoginCached : public World {
 protected:
  Options options() override {
    Options o = testing::fast_options();
    o.credential_cache = cache_;
    return o;
  }
  std::shared_ptr<auth::CredentialCache> cache_ =
      std::make_shared<auth::CredentialCache>(auth::CredentialCache::Options{});
};

TEST_F(ServiceLogin, AuthenticateRecordsLoginAndChecksServices) {
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

TEST_F(ServiceLogin, ImportedHashIsRehashedOnLogin) {
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

TEST_F(ServiceLogin, PostmasterPasswordAndPrincipalLogin) {
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

TEST_F(ServiceLoginCached, CacheHitsOnlyWhileThePasswordAndAccountStand) {
  ASSERT_TRUE(svc().authenticate("alice@a.example", "user-password", "imap").ok());
  EXPECT_EQ(cache_->size(), 1u);
  // A wrong password is never cached and still fails.
  EXPECT_EQ(code(svc().authenticate("alice@a.example", "wrong-password", "imap")),
            Errc::kUnauthenticated);
  EXPECT_EQ(cache_->size(), 1u);
  // Hit: the same login again succeeds from the cache.
  auto m = *must(store().find_mailbox("alice@a.example"), "alice");
  EXPECT_TRUE(cache_->lookup(cache_->key("alice@a.example", "user-password"), m.id, m.password_hash,
                             auth::CredentialCache::Clock::now()));
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

}  // namespace
}  // namespace posthouse::directory
