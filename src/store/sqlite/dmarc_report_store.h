// SqliteDmarcReportStore: store/dmarc_report_store.h in posthouse.db (tables dmarc_report_rows,
// dmarc_report_policies; migration 0120). One object per connection; it does not own the Db,
// which must outlive it.
#pragma once

#include "store/dmarc_report_store.h"
#include "store/sqlite/db.h"

namespace posthouse::store::sqlite {

class SqliteDmarcReportStore final : public DmarcReportStore {
 public:
  explicit SqliteDmarcReportStore(Db& db) : db_(db) {}
  base::Status add(const std::vector<DmarcReportRow>& rows) override;
  base::Result<std::vector<DmarcReportRow>> rows(const std::string& domain, int64_t from_day,
                                                 int64_t to_day) override;
  base::Result<std::vector<std::string>> domains(int64_t from_day, int64_t to_day) override;
  base::Result<int64_t> expire(int64_t before_day) override;

 private:
  Db& db_;
};

}  // namespace posthouse::store::sqlite
