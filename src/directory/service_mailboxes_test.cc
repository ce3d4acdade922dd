// directory::Service: mailboxes (service_mailboxes.cc).
#include <gtest/gtest.h>

#include "directory/test_world.h"

namespace posthouse::directory {
namespace {

using base::Errc;
using testing::code;
using testing::must;
using testing::must_ok;
using testing::World;

class ServiceMailboxes : public World {};

TEST_F(ServiceMailboxes, InvalidAddressesAndFields) {
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

TEST_F(ServiceMailboxes, MailboxServicesStayWithinTheTemplateBelowCustomerLevel) {
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

TEST_F(ServiceMailboxes, MovingAMailboxNeedsRightsOnBothDomains) {
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

TEST_F(ServiceMailboxes, DeletedAddressCannotBeReusedUntilPurged) {
  Actor boss = as("boss@acme.test");
  auto again = svc().create_mailbox(boss, {"gone@a.example", "", "staff", {}, {}});
  EXPECT_EQ(code(again), Errc::kConflict);
  EXPECT_NE(again.error().message.find("reserved until purged"), std::string::npos);
  EXPECT_EQ(code(svc().set_alias(boss, "gone@a.example", {"bob@a.example"})), Errc::kConflict);
  must_ok(svc().purge_mailbox(boss, "gone@a.example"), "purge");
  EXPECT_TRUE(svc().create_mailbox(boss, {"gone@a.example", "", "staff", {}, {}}).ok());
}

}  // namespace
}  // namespace posthouse::directory
