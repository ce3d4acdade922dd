#include "antispam/dmarc_report.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace posthouse::antispam {
namespace {

MessageAuth failed_auth() {
  MessageAuth a;
  a.from_domain = "Sender.Example";
  a.spf_mail_from.result = SpfResult::kSoftfail;
  DkimVerification d;
  d.result = DkimResult::kPass;
  d.domain = "Other.Example";
  a.dkim.push_back(d);
  a.dmarc.result = DmarcResult::kFail;
  a.dmarc.record_domain = "sender.example";
  a.dmarc.record.policy = DmarcPolicy::kReject;
  a.dmarc.record.subdomain_policy = DmarcPolicy::kQuarantine;
  a.dmarc.record.pct = 50;
  a.dmarc.record.strict_dkim = true;
  a.dmarc.record.rua = "mailto:agg@sender.example";
  a.dmarc.disposition = DmarcPolicy::kReject;
  return a;
}

MessageAuthInput input() {
  MessageAuthInput in;
  in.client_ip = "192.0.2.7";
  in.helo = "mx.sender.example";
  in.mail_from = "bounce@Bulk.Sender.Example";
  in.now = 86400 * 20000 + 5;
  return in;
}

TEST(DmarcReport, RowOfAFailedMessage) {
  auto r = report_row(input(), failed_auth());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->day, 20000);
  EXPECT_EQ(r->domain, "sender.example");
  EXPECT_EQ(r->policy_domain, "sender.example");
  EXPECT_EQ(r->rua, "mailto:agg@sender.example");
  EXPECT_EQ(r->published, "p=reject; sp=quarantine; pct=50; adkim=s; aspf=r");
  EXPECT_EQ(r->source_ip, "192.0.2.7");
  EXPECT_EQ(r->envelope_from, "bulk.sender.example");
  EXPECT_EQ(r->disposition, "reject");
  EXPECT_EQ(r->dkim, "fail");
  EXPECT_EQ(r->spf, "fail");
  EXPECT_EQ(r->dkim_domains, "d=other.example:pass");
  EXPECT_EQ(r->spf_result, "softfail");
  EXPECT_EQ(r->count, 1);
}

TEST(DmarcReport, NoRowWithoutARecordAndTheHeloForTheNullSender) {
  MessageAuth a = failed_auth();
  for (auto res : {DmarcResult::kNone, DmarcResult::kTempError, DmarcResult::kPermError}) {
    a.dmarc.result = res;
    EXPECT_FALSE(report_row(input(), a).has_value());
  }
  a.dmarc.result = DmarcResult::kPass;
  a.dmarc.dkim_aligned = true;
  a.dmarc.disposition = DmarcPolicy::kNone;
  MessageAuthInput in = input();
  in.mail_from.clear();
  auto r = report_row(in, a);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->envelope_from, "mx.sender.example");
  EXPECT_EQ(r->disposition, "none");
  EXPECT_EQ(r->dkim, "pass");
}

TEST(DmarcReport, LogSumsRowsAndFlushesInBatchesWhenDue) {
  std::vector<std::vector<store::DmarcReportRow>> flushed;
  bool fail = false;
  DmarcReportLog log(
      [&](const std::vector<store::DmarcReportRow>& rows) -> base::Status {
        if (fail) return base::Error(base::Errc::kTemporary, "disk full");
        flushed.push_back(rows);
        return {};
      },
      60, 2);
  auto row = *report_row(input(), failed_auth());
  log.add(row, 100);  // the first add flushes (nothing flushed yet)
  ASSERT_EQ(flushed.size(), 1u);
  log.add(row, 110);
  log.add(row, 120);
  EXPECT_EQ(flushed.size(), 1u) << "not due before 60 s";
  EXPECT_EQ(log.pending(), 1u);
  auto other = row;
  other.source_ip = "198.51.100.1";
  log.add(other, 130);
  auto third = row;
  third.source_ip = "203.0.113.9";
  log.add(third, 140);  // over max_rows (2): counted as dropped
  EXPECT_EQ(log.dropped(), 1);
  fail = true;
  log.add(row, 160);  // due, but the sink fails: kept
  EXPECT_EQ(log.pending(), 2u);
  fail = false;
  ASSERT_TRUE(log.flush(170).ok());
  ASSERT_EQ(flushed.size(), 2u);
  int64_t total = 0;
  for (const auto& r : flushed[1]) total += r.count;
  EXPECT_EQ(total, 4);  // three of `row` after the first flush, one of `other`
  EXPECT_EQ(log.pending(), 0u);
}

TEST(DmarcReport, ConcurrentAddsLoseNothing) {
  std::atomic<int64_t> written{0};
  DmarcReportLog log(
      [&](const std::vector<store::DmarcReportRow>& rows) -> base::Status {
        for (const auto& r : rows) written += r.count;
        return {};
      },
      0);
  auto row = *report_row(input(), failed_auth());
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < 500; ++i) log.add(row, i);
    });
  }
  for (auto& t : ts) t.join();
  ASSERT_TRUE(log.flush(1000).ok());
  EXPECT_EQ(written.load(), 2000);
}

}  // namespace
}  // namespace posthouse::antispam
