#include "antispam/dmarc_report.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/strings.h"

namespace posthouse::antispam {

namespace {

constexpr std::size_t kMaxSignatures = 5;

std::string key_of(const store::DmarcReportRow& r) {
  return fmt::format("{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}", r.day, r.domain, r.source_ip,
                     r.envelope_from, r.disposition, r.dkim, r.spf, r.dkim_domains, r.spf_result);
}

}  // namespace

std::optional<store::DmarcReportRow> report_row(const MessageAuthInput& in, const MessageAuth& a) {
  const DmarcVerdict& v = a.dmarc;
  if (v.result != DmarcResult::kPass && v.result != DmarcResult::kFail) return std::nullopt;
  store::DmarcReportRow r;
  r.day = in.now / 86400;
  r.domain = base::to_lower(a.from_domain);
  r.policy_domain = v.record_domain;
  r.rua = v.record.rua;
  r.published = fmt::format("p={}; sp={}; pct={}; adkim={}; aspf={}",
                            dmarc_policy_name(v.record.policy),
                            dmarc_policy_name(v.record.subdomain_policy), v.record.pct,
                            v.record.strict_dkim ? "s" : "r", v.record.strict_spf ? "s" : "r");
  r.source_ip = in.client_ip;
  auto at = in.mail_from.rfind('@');
  r.envelope_from = base::to_lower(in.mail_from.empty() ? in.helo
                                   : in.mail_from.substr(at == std::string::npos ? 0 : at + 1));
  r.disposition = std::string(dmarc_policy_name(v.disposition));
  r.dkim = v.dkim_aligned ? "pass" : "fail";
  r.spf = v.spf_aligned ? "pass" : "fail";
  for (std::size_t i = 0; i < a.dkim.size() && i < kMaxSignatures; ++i) {
    r.dkim_domains += fmt::format("{}d={}:{}", i ? " " : "", base::to_lower(a.dkim[i].domain),
                                  dkim_result_name(a.dkim[i].result));
  }
  r.spf_result = std::string(spf_result_name(a.spf_mail_from.result));
  r.count = 1;
  return r;
}

void DmarcReportLog::merge(const store::DmarcReportRow& row) {
  auto k = key_of(row);
  auto it = rows_.find(k);
  if (it != rows_.end()) {
    it->second.count += row.count;
    it->second.policy_domain = row.policy_domain;
    it->second.rua = row.rua;
    it->second.published = row.published;
  } else if (rows_.size() < max_rows_) {
    rows_.emplace(std::move(k), row);
  } else {
    dropped_ += row.count;
  }
}

void DmarcReportLog::add(const store::DmarcReportRow& row, int64_t now) {
  bool due = false;
  {
    std::lock_guard lock(mu_);
    merge(row);
    due = !flushing_ && now - last_flush_ >= flush_seconds_;
  }
  if (due) {
    auto st = flush(now);
    if (!st) spdlog::warn("dmarc reports: data not written yet: {}", st.error().message);
  }
}

base::Status DmarcReportLog::flush(int64_t now) {
  std::map<std::string, store::DmarcReportRow> taken;
  {
    std::lock_guard lock(mu_);
    if (flushing_) return {};
    flushing_ = true;
    last_flush_ = now;
    taken.swap(rows_);
  }
  std::vector<store::DmarcReportRow> rows;
  rows.reserve(taken.size());
  for (auto& [k, r] : taken) rows.push_back(std::move(r));
  base::Status st = rows.empty() ? base::Status() : sink_(rows);
  std::lock_guard lock(mu_);
  flushing_ = false;
  if (!st) {
    for (const auto& r : rows) merge(r);
  }
  return st;
}

int64_t DmarcReportLog::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

std::size_t DmarcReportLog::pending() const {
  std::lock_guard lock(mu_);
  return rows_.size();
}

}  // namespace posthouse::antispam
