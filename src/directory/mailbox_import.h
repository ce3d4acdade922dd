// Bulk mailbox creation from CSV: `address,name,template[,quota]` per line (RFC 4180 quoting;
// an optional header line starting with "address"). Each row goes through
// Service::create_mailbox on its own, so it is all-or-nothing per row: a rejected row changes
// nothing, and the rows around it still import. Bounded: at most kMaxImportRows rows and
// kMaxImportLine bytes per line.
#pragma once

#include <functional>
#include <istream>
#include <string>
#include <vector>

#include "base/result.h"
#include "directory/service.h"

namespace posthouse::directory {

inline constexpr int kMaxImportRows = 100000;
inline constexpr std::size_t kMaxImportLine = 4096;

struct ImportRejected {
  int line = 0;         // 1-based line number in the file
  std::string address;  // as written (may be empty or invalid)
  std::string reason;   // the error message; never a password
};

struct ImportReport {
  int imported = 0;
  std::vector<ImportRejected> rejected;
};

// Splits one CSV line into fields. kInvalid for an unterminated or misplaced quote.
base::Result<std::vector<std::string>> parse_csv_line(std::string_view line);

// progress(done, total) is called after each row. kTooLarge if the file exceeds the bounds
// (then nothing is imported).
base::Result<ImportReport> import_mailboxes(Service& svc, const Actor& actor, std::istream& in,
                                            const std::function<void(int, int)>& progress = {});

// Parses "1024", "100M", "2G", "1.5G" (binary units) into bytes. kInvalid otherwise.
base::Result<int64_t> parse_size(std::string_view s, std::string_view field);

}  // namespace posthouse::directory
