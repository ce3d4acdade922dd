#include "delivery/sender_policy.h"

#include <gtest/gtest.h>

namespace posthouse::delivery {
namespace {

using antispam::DmarcPolicy;
using antispam::DmarcResult;
using antispam::RspamdAction;

// The policy input with every field named (the server's virus action by default: reject).
PolicyInput in(const model::SpamPolicy& p, const model::UserSpamSettings* u = nullptr,
               std::string_view sender = "", std::string_view virus_action = "reject") {
  return PolicyInput{p, u, sender, virus_action};
}

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
  Decision d = decide(in(p), spam(RspamdAction::kReject, 1003.5));
  EXPECT_EQ(d.what, Disposition::kRefuse);
  EXPECT_EQ(d.why, "Message refused as spam (score 1003.50)");
  d = decide(in(p), spam(RspamdAction::kSoftReject));
  EXPECT_EQ(d.what, Disposition::kDefer);
  EXPECT_EQ(d.why, "Message deferred by the spam filter (soft reject), try again later");
  EXPECT_EQ(decide(in(p), spam(RspamdAction::kGreylist)).what, Disposition::kDeliver)
      << "greylisting is off in the domain's policy";
  p.greylist = true;
  d = decide(in(p), spam(RspamdAction::kGreylist));
  EXPECT_EQ(d.what, Disposition::kDefer);
  EXPECT_EQ(d.why, "Message deferred by the spam filter (greylist), try again later");
  EXPECT_EQ(decide(in(p), spam(RspamdAction::kAddHeader)).what, Disposition::kJunk);
  EXPECT_EQ(decide(in(p), spam(RspamdAction::kRewriteSubject)).what, Disposition::kJunk);
  EXPECT_EQ(decide(in(p), spam(RspamdAction::kNoAction)).what, Disposition::kDeliver);
  SenderVerdict unscanned = verdict(DmarcResult::kPass, DmarcPolicy::kNone);
  EXPECT_EQ(decide(in(p), unscanned).what, Disposition::kDeliver);
  EXPECT_EQ(decide(in(p), unscanned).why, "");
}

TEST(SenderPolicy, VirusIsRefusedOrJunkAsConfigured) {
  model::SpamPolicy p;
  SenderVerdict v = spam(RspamdAction::kNoAction);
  v.virus = "Eicar-Test-Signature";
  Decision d = decide(in(p), v);
  EXPECT_EQ(d.what, Disposition::kRefuse);
  EXPECT_EQ(d.why, "Message refused: virus Eicar-Test-Signature found");
  v.virus_junk = true;
  EXPECT_EQ(decide(in(p), v).what, Disposition::kJunk);
  // Junk for the virus does not hide a spam refusal.
  v.action = RspamdAction::kReject;
  EXPECT_EQ(decide(in(p), v).what, Disposition::kRefuse);
}

TEST(SenderPolicy, MostSevereWins) {
  model::SpamPolicy p;
  // DMARC reject beats rspamd's greylist; rspamd's reject beats DMARC quarantine.
  SenderVerdict v = verdict(DmarcResult::kFail, DmarcPolicy::kReject);
  v.action = RspamdAction::kGreylist;
  Decision d = decide(in(p), v);
  EXPECT_EQ(d.what, Disposition::kRefuse);
  EXPECT_EQ(d.why, "Message refused: it fails the DMARC policy of example.com (reject)");
  v.disposition = DmarcPolicy::kQuarantine;
  v.action = RspamdAction::kReject;
  EXPECT_EQ(decide(in(p), v).what, Disposition::kRefuse);
  v.action = RspamdAction::kNoAction;
  EXPECT_EQ(decide(in(p), v).what, Disposition::kJunk);
}

TEST(SenderPolicy, DaemonErrorDefersAllButARefusal) {
  model::SpamPolicy p;
  p.greylist = true;
  SenderVerdict v = spam(RspamdAction::kAddHeader);
  v.daemon_error = true;  // e.g. clamd down, fail_open off
  Decision d = decide(in(p), v);
  EXPECT_EQ(d.what, Disposition::kDefer);
  EXPECT_EQ(d.why, "Content scanning unavailable, try again later");
  v.action = RspamdAction::kGreylist;  // equal severity: the failure's text
  EXPECT_EQ(decide(in(p), v).why, "Content scanning unavailable, try again later");
  v.action = RspamdAction::kReject;  // what one daemon refused stays refused
  EXPECT_EQ(decide(in(p), v).what, Disposition::kRefuse);
}

TEST(SenderPolicy, VirusActionOfTheDomainOrTheServer) {
  model::SpamPolicy p;
  SenderVerdict v = spam(RspamdAction::kNoAction);
  v.virus = "Eicar-Test-Signature";
  Decision d = decide(in(p, nullptr, "a@b.test", "quarantine"), v);
  EXPECT_EQ(d.what, Disposition::kQuarantine);
  EXPECT_EQ(d.why, "virus Eicar-Test-Signature");
  p.virus_action = "reject";  // the domain's choice beats the server's
  EXPECT_EQ(decide(in(p, nullptr, "a@b.test", "quarantine"), v).what, Disposition::kRefuse);
  p.virus_action = "quarantine";
  EXPECT_EQ(decide(in(p, nullptr, "a@b.test", "reject"), v).what, Disposition::kQuarantine);
}

TEST(SenderPolicy, ThresholdsDecideByScoreAndUnsetLevelsFollowRspamd) {
  model::SpamPolicy p;
  p.quarantine_score = 8;
  // Only a quarantine threshold: rspamd's reject and add header still count.
  EXPECT_EQ(decide(in(p), spam(RspamdAction::kReject, 20)).what, Disposition::kRefuse);
  Decision d = decide(in(p), spam(RspamdAction::kAddHeader, 9));
  EXPECT_EQ(d.what, Disposition::kQuarantine);
  EXPECT_EQ(d.why, "spam score 9.00");
  EXPECT_EQ(decide(in(p), spam(RspamdAction::kAddHeader, 7)).what, Disposition::kJunk);
  EXPECT_EQ(decide(in(p), spam(RspamdAction::kNoAction, 7)).what, Disposition::kDeliver);
  // A reject threshold above rspamd's: what rspamd rejects below it goes to Junk instead.
  p.reject_score = 30;
  EXPECT_EQ(decide(in(p), spam(RspamdAction::kReject, 20)).what, Disposition::kQuarantine);
  p.quarantine_score.reset();
  EXPECT_EQ(decide(in(p), spam(RspamdAction::kReject, 20)).what, Disposition::kJunk);
  EXPECT_EQ(decide(in(p), spam(RspamdAction::kReject, 30)).what, Disposition::kRefuse);
  // A junk threshold below rspamd's: a clean verdict with a score over it is Junk.
  p.junk_score = 3;
  EXPECT_EQ(decide(in(p), spam(RspamdAction::kNoAction, 3.5)).what, Disposition::kJunk);
  EXPECT_EQ(decide(in(p), spam(RspamdAction::kNoAction, 2.9)).what, Disposition::kDeliver);
}

TEST(SenderPolicy, AUserTightensAndKeepsItsOwnLists) {
  model::SpamPolicy p;
  p.junk_score = 6;
  model::UserSpamSettings u;
  u.junk_score = 4;
  u.quarantine_score = 5;
  SenderVerdict v = spam(RspamdAction::kNoAction, 4.5);
  EXPECT_EQ(decide(in(p), v).what, Disposition::kDeliver);
  EXPECT_EQ(decide(in(p, &u), v).what, Disposition::kJunk);
  v.score = 5.5;
  EXPECT_EQ(decide(in(p, &u), v).what, Disposition::kQuarantine);
  // A user's higher threshold never loosens the domain's (the lower one applies).
  model::UserSpamSettings loose;
  loose.junk_score = 50;
  EXPECT_EQ(decide(in(p, &loose), spam(RspamdAction::kNoAction, 7)).what, Disposition::kJunk);
  // Its block list refuses for it alone.
  u.block = {"pest.test"};
  Decision d = decide(in(p, &u, "x@mail.pest.test"), spam(RspamdAction::kNoAction, 0));
  EXPECT_EQ(d.what, Disposition::kRefuse);
  EXPECT_EQ(d.why, "Message refused: the recipient blocks this sender");
  EXPECT_EQ(decide(in(p, nullptr, "x@mail.pest.test"), spam(RspamdAction::kNoAction, 0)).what,
            Disposition::kDeliver);
}

TEST(SenderPolicy, AllowListsNeedAVerifiedSenderAndNeverPassAVirus) {
  model::SpamPolicy p;
  p.allow = {"friend.test"};
  SenderVerdict v = spam(RspamdAction::kReject, 40);
  EXPECT_EQ(decide(in(p, nullptr, "a@friend.test"), v).what, Disposition::kRefuse)
      << "not verified: a forged sender is not let through";
  v.verified_domain = "other.test";
  EXPECT_EQ(decide(in(p, nullptr, "a@friend.test"), v).what, Disposition::kRefuse);
  v.verified_domain = "friend.test";
  Decision d = decide(in(p, nullptr, "a@friend.test"), v);
  EXPECT_EQ(d.what, Disposition::kDeliver);
  EXPECT_TRUE(d.allowed);
  EXPECT_TRUE(decide(in(p, nullptr, "a@mx.friend.test"), v).allowed);  // a subdomain of it
  EXPECT_FALSE(decide(in(p, nullptr, "a@elsewhere.test"), v).allowed);
  // A user's own allow entry.
  model::SpamPolicy none;
  model::UserSpamSettings u;
  u.allow = {"a@friend.test"};
  EXPECT_EQ(decide(in(none, &u, "a@friend.test"), v).what, Disposition::kDeliver);
  EXPECT_EQ(decide(in(none, &u, "b@friend.test"), v).what, Disposition::kRefuse);
  // A virus and DMARC still count.
  v.virus = "Eicar-Test-Signature";
  EXPECT_EQ(decide(in(p, nullptr, "a@friend.test"), v).what, Disposition::kRefuse);
  v.virus.clear();
  v.dmarc = DmarcResult::kFail;
  v.disposition = DmarcPolicy::kReject;
  EXPECT_EQ(decide(in(p, nullptr, "a@friend.test"), v).what, Disposition::kRefuse);
}

}  // namespace
}  // namespace posthouse::delivery
