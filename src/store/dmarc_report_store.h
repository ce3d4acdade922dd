// DmarcReportStore: the data of DMARC aggregate reports (RFC 7489 section 7.2, appendix C):
// what this server saw of each author domain's mail, counted per day and per row of the
// report, so a report can be written for the domain's rua addresses.
//
// Contract:
// - add() adds each row's `count` to the stored row with the same day, domain and fields,
//   creating it, all in one transaction; the published policy and rua kept for a day and
//   domain are the last added.
// - rows() returns the rows of `domain` for the days in [from_day, to_day], by day then by
//   source address; domains() the author domains that have rows in that range, sorted.
// - expire() deletes the rows of days before `before_day`; returns how many went.
// - Days are Unix days (seconds / 86400, UTC). Domains are lower case.
// - Thread safety: one object per thread at a time (it wraps one connection of its backend).
// Implemented by store/sqlite/dmarc_report_store.h (migration 0120).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace posthouse::store {

struct DmarcReportRow {
  int64_t day = 0;
  std::string domain;         // the author (RFC5322.From) domain the record was found for
  std::string policy_domain;  // where the record was found (the organizational domain or it)
  std::string rua;            // the record's rua, as published
  std::string published;      // the policy as published: "p=reject; sp=none; pct=100; adkim=r; aspf=r"
  std::string source_ip;
  std::string envelope_from;  // the MAIL FROM domain (the HELO name for the null sender)
  std::string disposition;    // none | quarantine | reject (what was applied)
  std::string dkim;           // pass | fail: DMARC's DKIM alignment
  std::string spf;            // pass | fail: DMARC's SPF alignment
  std::string dkim_domains;   // "d=example.com:pass d=other.net:fail": the signatures seen
  std::string spf_result;     // the SPF result of the MAIL FROM identity (none, pass, ...)
  int64_t count = 0;
};

class DmarcReportStore {
 public:
  virtual ~DmarcReportStore() = default;
  virtual base::Status add(const std::vector<DmarcReportRow>& rows) = 0;
  virtual base::Result<std::vector<DmarcReportRow>> rows(const std::string& domain,
                                                         int64_t from_day, int64_t to_day) = 0;
  virtual base::Result<std::vector<std::string>> domains(int64_t from_day, int64_t to_day) = 0;
  virtual base::Result<int64_t> expire(int64_t before_day) = 0;
};

}  // namespace posthouse::store
