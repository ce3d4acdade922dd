// directory::Service: API tokens (service_tokens.cc); the HTTP tests repeat these end to end.
#include <gtest/gtest.h>

#include "directory/test_world.h"

namespace posthouse::directory {
namespace {

using testing::must;
using testing::must_ok;

class ApiTokens : public testing::World {};

TEST_F(ApiTokens, SecretShownOnceStoredHashedAndResolvesToOwner) {
  Actor boss = as("boss@acme.test");
  auto nt = must(svc().create_token(boss, {"ci", {}, {}, false, {}, std::nullopt}), "create");
  EXPECT_EQ(nt.secret.rfind("pht_", 0), 0u);
  EXPECT_NE(nt.token.secret_hash, nt.secret);
  EXPECT_EQ(nt.token.prefix, nt.secret.substr(0, 10));
  auto a = must(svc().actor_for_token(nt.secret, "127.0.0.1"), "use");
  EXPECT_EQ(a.login, "boss@acme.test");
  EXPECT_EQ(a.token_id, nt.token.id);
  EXPECT_EQ(a.source, "api");
  auto list = must(svc().list_tokens(boss), "list");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].last_used_ip, "127.0.0.1");
  EXPECT_TRUE(svc().list_tokens(as("fm@outside.test"))->empty());  // nobody else's
  // The audit names the token, never the secret.
  auto audit = must(svc().list_audit(admin(), 5), "audit");
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit[0].verb, "token.create");
  EXPECT_EQ(audit[0].after->find(nt.secret.substr(10)), std::string::npos);
}

TEST_F(ApiTokens, LastUsedIsWrittenAtMostOncePerMinuteUnlessTheIpChanges) {
  Actor boss = as("boss@acme.test");
  auto nt = must(svc().create_token(boss, {"ci", {}, {}, false, {}, std::nullopt}), "create");
  auto last = [&] { return must(svc().list_tokens(boss), "list").at(0); };
  ASSERT_TRUE(svc().actor_for_token(nt.secret, "127.0.0.1").ok());
  EXPECT_EQ(last().last_used_at, now_);
  const Time first = now_;
  now_ += 59;  // within the minute: no write
  ASSERT_TRUE(svc().actor_for_token(nt.secret, "127.0.0.1").ok());
  EXPECT_EQ(last().last_used_at, first);
  ASSERT_TRUE(svc().actor_for_token(nt.secret, "10.0.0.9").ok());  // another address: written
  EXPECT_EQ(last().last_used_at, now_);
  EXPECT_EQ(last().last_used_ip, "10.0.0.9");
  now_ += 60;
  ASSERT_TRUE(svc().actor_for_token(nt.secret, "10.0.0.9").ok());
  EXPECT_EQ(last().last_used_at, now_);
}

TEST_F(ApiTokens, ScopeNarrowsAndReadOnlyBlocksWrites) {
  Actor boss = as("boss@acme.test");
  auto nt = must(svc().create_token(boss, {"ro", {"a.example"}, {}, true, {}, std::nullopt}), "c");
  auto a = must(svc().actor_for_token(nt.secret, "10.0.0.1"), "use");
  EXPECT_TRUE(svc().get_mailbox(a, "bob@a.example").ok());
  EXPECT_EQ(svc().get_mailbox(a, "carol@b.example").error().code, base::Errc::kNotFound);
  EXPECT_FALSE(svc().set_mailbox_password(a, "bob@a.example", "new-password-1").ok());
  EXPECT_EQ(svc().revoke_token(a, nt.token.id).error().code, base::Errc::kForbidden);
  // A token cannot mint tokens (a narrowed token must not make a wider one).
  EXPECT_EQ(svc().create_token(a, {"x", {}, {}, false, {}, std::nullopt}).error().code,
            base::Errc::kForbidden);
  // Domains outside the owner's scope answer like missing ones.
  EXPECT_EQ(
      svc().create_token(boss, {"g", {"g.example"}, {}, false, {}, std::nullopt}).error().code,
      base::Errc::kNotFound);
}

TEST_F(ApiTokens, RevokedExpiredDisallowedIpAndDemotedOwnerAllFail) {
  Actor boss = as("boss@acme.test");
  auto t1 = must(svc().create_token(boss, {"t1", {}, {}, false, {}, std::nullopt}), "t1");
  must_ok(svc().revoke_token(boss, t1.token.id), "revoke");
  EXPECT_EQ(svc().actor_for_token(t1.secret, "1.2.3.4").error().code, base::Errc::kUnauthenticated);
  auto t2 = must(svc().create_token(boss, {"t2", {}, {}, false, {}, now_ + 10}), "t2");
  EXPECT_TRUE(svc().actor_for_token(t2.secret, "1.2.3.4").ok());
  now_ += 11;
  EXPECT_FALSE(svc().actor_for_token(t2.secret, "1.2.3.4").ok());
  auto t3 =
      must(svc().create_token(boss, {"t3", {}, {}, false, {"10.0.0.0/8"}, std::nullopt}), "t3");
  EXPECT_TRUE(svc().actor_for_token(t3.secret, "10.9.8.7").ok());
  EXPECT_FALSE(svc().actor_for_token(t3.secret, "11.0.0.1").ok());
  EXPECT_FALSE(
      svc().create_token(boss, {"bad", {}, {}, false, {"10.0.0.0/99"}, std::nullopt}).ok());
  // A manager's token follows its current rights: narrowed domains, then deletion.
  Actor sm = as("sm@outside.test");
  auto t4 = must(svc().create_token(sm, {"sm", {}, {}, false, {}, std::nullopt}), "t4");
  auto a = must(svc().actor_for_token(t4.secret, "1.2.3.4"), "sm use");
  EXPECT_TRUE(svc().get_domain(a, "a.example").ok());
  must(svc().set_manager_domains(boss, "sm@outside.test", {"b.example"}), "demote");
  a = must(svc().actor_for_token(t4.secret, "1.2.3.4"), "sm use 2");
  EXPECT_EQ(svc().get_domain(a, "a.example").error().code, base::Errc::kNotFound);
  must_ok(svc().delete_manager(boss, "sm@outside.test"), "delete");
  EXPECT_FALSE(svc().actor_for_token(t4.secret, "1.2.3.4").ok());
  // Others' tokens answer like missing ones.
  EXPECT_EQ(svc().revoke_token(as("fm@outside.test"), t3.token.id).error().code,
            base::Errc::kNotFound);
}

TEST_F(ApiTokens, MailboxTokensNeedTheService) {
  Actor alice = as("alice@a.example");
  EXPECT_EQ(svc().create_token(alice, {"x", {}, {}, false, {}, std::nullopt}).error().code,
            base::Errc::kForbidden);
  MailboxEdit e;
  Services s;
  s.tokens = true;
  e.services = s;
  must(svc().edit_mailbox(admin(), "alice@a.example", e), "enable tokens");
  alice = as("alice@a.example");
  auto nt = must(svc().create_token(alice, {"x", {}, {}, false, {}, std::nullopt}), "create");
  auto a = must(svc().actor_for_token(nt.secret, "::1"), "use");
  EXPECT_EQ(a.mailbox_id, alice.mailbox_id);
  // A token never mints a token (policy: token.create), whatever its scope.
  auto minted = svc().create_token(a, {"y", {}, {}, false, {}, std::nullopt});
  ASSERT_FALSE(minted.ok());
  EXPECT_EQ(minted.error().code, base::Errc::kForbidden);
  EXPECT_EQ(minted.error().message, "not allowed: token.create");
  // Switching the service off kills the mailbox's tokens at their next use.
  s.tokens = false;
  e.services = s;
  must(svc().edit_mailbox(admin(), "alice@a.example", e), "disable tokens");
  EXPECT_EQ(svc().actor_for_token(nt.secret, "::1").error().code, base::Errc::kUnauthenticated);
}

}  // namespace
}  // namespace posthouse::directory
