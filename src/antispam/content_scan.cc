#include "antispam/content_scan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace posthouse::antispam {

namespace {

void failed(const ContentScanners& s, ContentScan& out, std::string_view daemon,
            std::string_view why) {
  ++out.failures;
  if (!s.fail_open) out.daemon_error = true;
  if (!out.errors.empty()) out.errors += "; ";
  out.errors += fmt::format("{}: {}", daemon, why);
}

}  // namespace

ContentScan scan_content(const ContentScanners& s, std::string_view message,
                         const RspamdEnvelope& envelope) {
  ContentScan out;
  if (s.clamd) {
    ClamdResult c = s.clamd->scan(message);
    if (c.status == ClamdStatus::kInfected) {
      out.virus = c.virus;
    } else if (c.status == ClamdStatus::kError) {
      failed(s, out, "clamd", c.error);
    }
  }
  if (s.rspamd) {
    RspamdResult r = s.rspamd->check(message, envelope);
    if (r.ok()) {
      out.rspamd = std::move(r);
    } else {
      failed(s, out, "rspamd", r.error);
    }
  }
  return out;
}

std::string spam_status_fields(const RspamdResult& r) {
  bool spam = r.action == RspamdAction::kReject || r.action == RspamdAction::kAddHeader ||
              r.action == RspamdAction::kRewriteSubject;
  return fmt::format("X-Spam-Status: {}, score={:.2f} required={:.2f}\r\nX-Spam-Action: {}\r\n",
                     spam ? "Yes" : "No", r.score, r.required_score, rspamd_action_name(r.action));
}

std::string symbols_summary(const RspamdResult& r) {
  std::vector<const RspamdSymbol*> v;
  for (const auto& s : r.symbols) v.push_back(&s);
  std::stable_sort(v.begin(), v.end(), [](const RspamdSymbol* a, const RspamdSymbol* b) {
    return std::fabs(a->score) > std::fabs(b->score);
  });
  std::string out;
  for (std::size_t i = 0; i < v.size() && i < 20; ++i) {
    if (!out.empty()) out += ' ';
    out += fmt::format("{}({:.2f})", v[i]->name, v[i]->score);
  }
  return out;
}

}  // namespace posthouse::antispam
