#include "delivery/sender_policy.h"

#include <gtest/gtest.h>

namespace posthouse::delivery {
namespace {

using antispam::DmarcPolicy;
using antispam::DmarcResult;

TEST(SenderPolicy, BlockEntriesMatchAddressesDomainsAndSubdomains) {
  model::SpamPolicy p;
  p.block = {"spammer@example.com", "bad.example"};
  EXPECT_TRUE(sender_blocked(p, "spammer@example.com"));
  EXPECT_TRUE(sender_blocked(p, "Spammer@Example.COM"));
  EXPECT_FALSE(sender_blocked(p, "friend@example.com"));
  EXPECT_TRUE(sender_blocked(p, "anyone@bad.example"));
  EXPECT_TRUE(sender_blocked(p, "anyone@mail.bad.example"));
  EXPECT_FALSE(sender_blocked(p, "anyone@notbad.example"));  // not a label boundary
  EXPECT_FALSE(sender_blocked(p, "anyone@bad.example.org"));
  EXPECT_FALSE(sender_blocked(p, ""));  // the null sender
  EXPECT_FALSE(sender_blocked(model::SpamPolicy{}, "spammer@example.com"));
}

TEST(SenderPolicy, DmarcDispositionOnlyWhenEnforcedAndFailed) {
  model::SpamPolicy on;
  model::SpamPolicy off;
  off.dmarc_enforce = false;
  SenderVerdict reject{DmarcResult::kFail, DmarcPolicy::kReject, "example.com"};
  SenderVerdict quarantine{DmarcResult::kFail, DmarcPolicy::kQuarantine, "example.com"};
  SenderVerdict sampled_out{DmarcResult::kFail, DmarcPolicy::kNone, "example.com"};
  SenderVerdict pass{DmarcResult::kPass, DmarcPolicy::kNone, "example.com"};
  SenderVerdict temp{DmarcResult::kTempError, DmarcPolicy::kNone, "example.com"};
  EXPECT_EQ(disposition_for(on, reject), Disposition::kRefuse);
  EXPECT_EQ(disposition_for(on, quarantine), Disposition::kJunk);
  EXPECT_EQ(disposition_for(on, sampled_out), Disposition::kDeliver);
  EXPECT_EQ(disposition_for(on, pass), Disposition::kDeliver);
  EXPECT_EQ(disposition_for(on, temp), Disposition::kDeliver);
  EXPECT_EQ(disposition_for(off, reject), Disposition::kDeliver);
  EXPECT_EQ(disposition_for(off, quarantine), Disposition::kDeliver);
}

}  // namespace
}  // namespace posthouse::delivery
