// The data of DMARC aggregate reports (RFC 7489 section 7.2) as the MX collects it: one row
// per checked message whose author domain publishes a DMARC record, counted in memory and
// written to store::DmarcReportStore in batches (one transaction per flush, not one fsync
// per message).
//
// Contract:
// - report_row(): the row for one message's checks, or nullopt when DMARC found no record
//   (result none, temperror, permerror). disposition is what the record asked for this
//   message ("none" for a pass, or when local policy overrode it: override_reason);
//   dkim/spf are DMARC's alignment results; dkim_domains lists at most 5 signatures'
//   "d=DOMAIN:RESULT"; envelope_from is MAIL FROM's domain, or the HELO name for the null
//   sender. Pure.
// - DmarcReportLog::add() merges the row into the pending counts (same day, domain and fields:
//   counts summed); when flush_seconds have passed since the last flush, the adding thread
//   flushes: the pending rows go to the sink in one call, outside the lock, one flush at a
//   time. A sink failure is logged and its rows are merged back. At most max_rows distinct
//   pending rows; further new rows are counted in dropped() and not kept.
// - Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "antispam/message_auth.h"
#include "base/result.h"
#include "store/dmarc_report_store.h"

namespace posthouse::antispam {

std::optional<store::DmarcReportRow> report_row(const MessageAuthInput& in, const MessageAuth& a);

class DmarcReportLog {
 public:
  using Sink = std::function<base::Status(const std::vector<store::DmarcReportRow>&)>;
  DmarcReportLog(Sink sink, int64_t flush_seconds, std::size_t max_rows = 50000)
      : sink_(std::move(sink)), flush_seconds_(flush_seconds), max_rows_(max_rows) {}

  void add(const store::DmarcReportRow& row, int64_t now);
  base::Status flush(int64_t now);
  int64_t dropped() const;
  std::size_t pending() const;

 private:
  void merge(const store::DmarcReportRow& row);  // mu_ held

  Sink sink_;
  int64_t flush_seconds_;
  std::size_t max_rows_;
  mutable std::mutex mu_;
  std::map<std::string, store::DmarcReportRow> rows_;
  int64_t last_flush_ = 0;
  bool flushing_ = false;
  int64_t dropped_ = 0;
};

}  // namespace posthouse::antispam
