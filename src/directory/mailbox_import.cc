#include "directory/mailbox_import.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "base/strings.h"

namespace posthouse::directory {

using base::Errc;
using base::Error;

base::Result<std::vector<std::string>> parse_csv_line(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cur.push_back(c);
      }
    } else if (c == '"') {
      if (!base::trim(cur).empty() || was_quoted) return Error(Errc::kInvalid, "misplaced quote");
      cur.clear();
      quoted = was_quoted = true;
    } else if (c == ',') {
      out.push_back(was_quoted ? cur : std::string(base::trim(cur)));
      cur.clear();
      was_quoted = false;
    } else {
      if (was_quoted) {
        if (c != ' ' && c != '\t') return Error(Errc::kInvalid, "text after quote");
        continue;  // blanks between the closing quote and the comma
      }
      cur.push_back(c);
    }
  }
  if (quoted) return Error(Errc::kInvalid, "unterminated quote");
  out.push_back(was_quoted ? cur : std::string(base::trim(cur)));
  return out;
}

base::Result<int64_t> parse_size(std::string_view in, std::string_view field) {
  std::string s(base::trim(in));
  Error bad(Errc::kInvalid, fmt::format("'{}' is not a size (e.g. 500M, 2G)", s),
            std::string(field));
  if (s.empty() || s.size() > 32) return bad;
  int64_t mult = 1;
  char last = s.back();
  std::string units = "KMGT";
  if (auto pos = units.find(static_cast<char>(last & ~0x20)); pos != std::string::npos) {
    mult = int64_t{1} << (10 * (pos + 1));
    s.pop_back();
  }
  if (s.empty()) return bad;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v) || v <= 0 || v * mult > 1e15) return bad;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.')) return bad;  // no exponents, signs, hex
  }
  return static_cast<int64_t>(v * static_cast<double>(mult));
}

base::Result<ImportReport> import_mailboxes(Service& svc, const Actor& actor, std::istream& in,
                                            const std::function<void(int, int)>& progress) {
  struct Row {
    int line;
    std::string text;
  };
  std::vector<Row> rows;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > kMaxImportLine)
      return Error(Errc::kTooLarge,
                   fmt::format("line {} is longer than {} bytes", n, kMaxImportLine));
    if (base::trim(line).empty()) continue;
    if (rows.empty() && base::istarts_with(base::trim(line), "address")) continue;  // header
    if (static_cast<int>(rows.size()) >= kMaxImportRows)
      return Error(Errc::kTooLarge, fmt::format("more than {} rows", kMaxImportRows));
    rows.push_back({n, line});
  }
  ImportReport report;
  int done = 0;
  for (const auto& row : rows) {
    auto reject = [&](std::string address, std::string reason) {
      report.rejected.push_back({row.line, std::move(address), std::move(reason)});
    };
    auto fields = parse_csv_line(row.text);
    if (!fields.ok()) {
      reject("", fields.error().message);
    } else if (fields->size() < 3 || fields->size() > 4) {
      reject(fields->empty() ? "" : (*fields)[0],
             fmt::format("expected 3 or 4 fields (address,name,template[,quota]), got {}",
                         fields->size()));
    } else {
      const auto& f = *fields;
      MailboxSpec spec{f[0], f[1], f[2], std::nullopt, std::nullopt};
      base::Status st;
      if (f.size() == 4 && !f[3].empty()) {
        auto q = parse_size(f[3], "quota");
        if (q.ok())
          spec.quota_bytes = *q;
        else
          st = q.error();
      }
      if (st.ok()) {
        auto r = svc.create_mailbox(actor, spec);
        if (r.ok())
          ++report.imported;
        else
          st = r.error();
      }
      if (!st.ok()) reject(f[0], st.error().message);
    }
    ++done;
    if (progress) progress(done, static_cast<int>(rows.size()));
  }
  return report;
}

}  // namespace posthouse::directory
