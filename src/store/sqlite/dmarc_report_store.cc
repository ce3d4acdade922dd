#include "store/sqlite/dmarc_report_store.h"

namespace posthouse::store::sqlite {

base::Status SqliteDmarcReportStore::add(const std::vector<DmarcReportRow>& rows) {
  if (rows.empty()) return {};
  auto tx = PH_TRY(Tx::begin(db_));
  auto row = PH_TRY(db_.prepare(
      "INSERT INTO dmarc_report_rows(day, domain, source_ip, envelope_from, disposition, dkim, "
      "spf, dkim_domains, spf_result, count) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT DO UPDATE SET count = dmarc_report_rows.count + excluded.count"));
  auto policy = PH_TRY(db_.prepare(
      "INSERT INTO dmarc_report_policies(day, domain, policy_domain, rua, published) "
      "VALUES(?, ?, ?, ?, ?) ON CONFLICT(day, domain) DO UPDATE SET "
      "policy_domain = excluded.policy_domain, rua = excluded.rua, published = excluded.published"));
  for (const auto& r : rows) {
    row.bind_all(r.day, r.domain, r.source_ip, r.envelope_from, r.disposition, r.dkim, r.spf,
                 r.dkim_domains, r.spf_result, r.count);
    PH_CHECK(row.run());
    row.reset();
    policy.bind_all(r.day, r.domain, r.policy_domain, r.rua, r.published);
    PH_CHECK(policy.run());
    policy.reset();
  }
  return tx.commit();
}

base::Result<std::vector<DmarcReportRow>> SqliteDmarcReportStore::rows(const std::string& domain,
                                                                       int64_t from_day,
                                                                       int64_t to_day) {
  auto st = PH_TRY(db_.prepare(
      "SELECT r.day, r.domain, p.policy_domain, p.rua, p.published, r.source_ip, "
      "r.envelope_from, r.disposition, r.dkim, r.spf, r.dkim_domains, r.spf_result, r.count "
      "FROM dmarc_report_rows r JOIN dmarc_report_policies p ON p.day = r.day AND "
      "p.domain = r.domain WHERE r.domain = ? AND r.day BETWEEN ? AND ? "
      "ORDER BY r.day, r.source_ip, r.envelope_from, r.disposition, r.dkim, r.spf"));
  st.bind_all(domain, from_day, to_day);
  std::vector<DmarcReportRow> out;
  while (PH_TRY(st.step())) {
    DmarcReportRow x;
    Row(st).into(x.day, x.domain, x.policy_domain, x.rua, x.published, x.source_ip,
                 x.envelope_from, x.disposition, x.dkim, x.spf, x.dkim_domains, x.spf_result,
                 x.count);
    out.push_back(std::move(x));
  }
  st.reset();
  return out;
}

base::Result<std::vector<std::string>> SqliteDmarcReportStore::domains(int64_t from_day,
                                                                       int64_t to_day) {
  auto st = PH_TRY(db_.prepare(
      "SELECT DISTINCT domain FROM dmarc_report_rows WHERE day BETWEEN ? AND ? ORDER BY domain"));
  st.bind_all(from_day, to_day);
  std::vector<std::string> out;
  while (PH_TRY(st.step())) out.push_back(st.col_text(0));
  st.reset();
  return out;
}

base::Result<int64_t> SqliteDmarcReportStore::expire(int64_t before_day) {
  auto rows = PH_TRY(db_.prepare("DELETE FROM dmarc_report_rows WHERE day < ?"));
  rows.bind(1, before_day);
  PH_CHECK(rows.run());
  int64_t n = db_.changes();
  auto policies = PH_TRY(db_.prepare("DELETE FROM dmarc_report_policies WHERE day < ?"));
  policies.bind(1, before_day);
  PH_CHECK(policies.run());
  return n;
}

}  // namespace posthouse::store::sqlite
