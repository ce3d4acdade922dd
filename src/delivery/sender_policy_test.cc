#include "delivery/sender_policy.h"

#include <gtest/gtest.h>

namespace posthouse::delivery {
namespace {

using antispam::DmarcPolicy;
using antispam::DmarcResult;
using antispam::RspamdAction;

SenderVerdict verdict(DmarcResult result, DmarcPolicy disposition) {
  SenderVerdict v;
  v.dmarc = result;
  v.disposition = disposition;
  v.from_domain = "example.com";
  return v;
}

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
  SenderVerdict reject = verdict(DmarcResult::kFail, DmarcPolicy::kReject);
  SenderVerdict quarantine = verdict(DmarcResult::kFail, DmarcPolicy::kQuarantine);
  SenderVerdict sampled_out = verdict(DmarcResult::kFail, DmarcPolicy::kNone);
  SenderVerdict pass = verdict(DmarcResult::kPass, DmarcPolicy::kNone);
  SenderVerdict temp = verdict(DmarcResult::kTempError, DmarcPolicy::kNone);
  EXPECT_EQ(disposition_for(on, reject), Disposition::kRefuse);
  EXPECT_EQ(disposition_for(on, quarantine), Disposition::kJunk);
  EXPECT_EQ(disposition_for(on, sampled_out), Disposition::kDeliver);
  EXPECT_EQ(disposition_for(on, pass), Disposition::kDeliver);
  EXPECT_EQ(disposition_for(on, temp), Disposition::kDeliver);
  EXPECT_EQ(disposition_for(off, reject), Disposition::kDeliver);
  EXPECT_EQ(disposition_for(off, quarantine), Disposition::kDeliver);
}

SenderVerdict spam(RspamdAction action, double score = 20) {
  SenderVerdict v = verdict(DmarcResult::kPass, DmarcPolicy::kNone);
  v.action = action;
  v.score = score;
  v.required_score = 15;
  return v;
}

TEST(SenderPolicy, RspamdActionsDecide) {
  model::SpamPolicy p;
  Decision d = decide(p, spam(RspamdAction::kReject, 1003.5));
  EXPECT_EQ(d.what, Disposition::kRefuse);
  EXPECT_EQ(d.why, "Message refused as spam (score 1003.50)");
  d = decide(p, spam(RspamdAction::kSoftReject));
  EXPECT_EQ(d.what, Disposition::kDefer);
  EXPECT_EQ(d.why, "Message deferred by the spam filter (soft reject), try again later");
  EXPECT_EQ(decide(p, spam(RspamdAction::kGreylist)).what, Disposition::kDeliver)
      << "greylisting is off in the domain's policy";
  p.greylist = true;
  d = decide(p, spam(RspamdAction::kGreylist));
  EXPECT_EQ(d.what, Disposition::kDefer);
  EXPECT_EQ(d.why, "Message deferred by the spam filter (greylist), try again later");
  EXPECT_EQ(decide(p, spam(RspamdAction::kAddHeader)).what, Disposition::kJunk);
  EXPECT_EQ(decide(p, spam(RspamdAction::kRewriteSubject)).what, Disposition::kJunk);
  EXPECT_EQ(decide(p, spam(RspamdAction::kNoAction)).what, Disposition::kDeliver);
  SenderVerdict unscanned = verdict(DmarcResult::kPass, DmarcPolicy::kNone);
  EXPECT_EQ(decide(p, unscanned).what, Disposition::kDeliver);
  EXPECT_EQ(decide(p, unscanned).why, "");
}

TEST(SenderPolicy, VirusIsRefusedOrJunkAsConfigured) {
  model::SpamPolicy p;
  SenderVerdict v = spam(RspamdAction::kNoAction);
  v.virus = "Eicar-Test-Signature";
  Decision d = decide(p, v);
  EXPECT_EQ(d.what, Disposition::kRefuse);
  EXPECT_EQ(d.why, "Message refused: virus Eicar-Test-Signature found");
  v.virus_junk = true;
  EXPECT_EQ(decide(p, v).what, Disposition::kJunk);
  // Junk for the virus does not hide a spam refusal.
  v.action = RspamdAction::kReject;
  EXPECT_EQ(decide(p, v).what, Disposition::kRefuse);
}

TEST(SenderPolicy, MostSevereWins) {
  model::SpamPolicy p;
  // DMARC reject beats rspamd's greylist; rspamd's reject beats DMARC quarantine.
  SenderVerdict v = verdict(DmarcResult::kFail, DmarcPolicy::kReject);
  v.action = RspamdAction::kGreylist;
  Decision d = decide(p, v);
  EXPECT_EQ(d.what, Disposition::kRefuse);
  EXPECT_EQ(d.why, "Message refused: it fails the DMARC policy of example.com (reject)");
  v.disposition = DmarcPolicy::kQuarantine;
  v.action = RspamdAction::kReject;
  EXPECT_EQ(decide(p, v).what, Disposition::kRefuse);
  v.action = RspamdAction::kNoAction;
  EXPECT_EQ(decide(p, v).what, Disposition::kJunk);
}

TEST(SenderPolicy, DaemonErrorDefersAllButARefusal) {
  model::SpamPolicy p;
  p.greylist = true;
  SenderVerdict v = spam(RspamdAction::kAddHeader);
  v.daemon_error = true;  // e.g. clamd down, fail_open off
  Decision d = decide(p, v);
  EXPECT_EQ(d.what, Disposition::kDefer);
  EXPECT_EQ(d.why, "Content scanning unavailable, try again later");
  v.action = RspamdAction::kGreylist;  // equal severity: the failure's text
  EXPECT_EQ(decide(p, v).why, "Content scanning unavailable, try again later");
  v.action = RspamdAction::kReject;  // what one daemon refused stays refused
  EXPECT_EQ(decide(p, v).what, Disposition::kRefuse);
}

}  // namespace
}  // namespace posthouse::delivery
