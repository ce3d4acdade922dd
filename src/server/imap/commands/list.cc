#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <vector>

#include "base/strings.h"
#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

namespace {

// RFC 3501 6.3.8 wildcards: '*' matches anything, '%' anything but the delimiter. Dynamic
// programming over (pattern, name) prefixes: O(n*m), whatever the pattern.
bool wild_match(std::string_view pat, std::string_view name) {
  std::vector<char> prev(name.size() + 1, 0), cur(name.size() + 1, 0);
  prev[0] = 1;
  for (size_t j = 1; j <= name.size(); ++j) prev[j] = 0;
  for (size_t i = 1; i <= pat.size(); ++i) {
    char p = pat[i - 1];
    cur[0] = (p == '*' || p == '%') && prev[0];
    for (size_t j = 1; j <= name.size(); ++j) {
      if (p == '*') {
        cur[j] = prev[j] || cur[j - 1];
      } else if (p == '%') {
        cur[j] = prev[j] || (cur[j - 1] && name[j - 1] != '/');
      } else {
        cur[j] = prev[j - 1] && p == name[j - 1];
      }
    }
    std::swap(prev, cur);
  }
  return prev[name.size()];
}

// "INBOX" in any case matches INBOX (RFC 3501 5.1).
std::string canonical_pattern(std::string p) {
  if (base::istarts_with(p, "INBOX") && (p.size() == 5 || p[5] == '/')) p.replace(0, 5, "INBOX");
  return p;
}

}  // namespace

PH_IMAP_HANDLER(cmd_list) {
  const auto& a = std::get<codec::List>(c.args);
  bool lsub = c.kind == codec::CommandKind::kLsub;
  if (a.patterns.size() == 1 && a.patterns[0].empty() && !a.extended) {
    s.untagged("LIST (\\Noselect) \"/\" \"\"");
    s.ok(c, "LIST completed");
    co_return;
  }
  for (auto p : a.patterns) {
    if (p.size() > 1024 || std::count(p.begin(), p.end(), '*') + std::count(p.begin(), p.end(), '%') > 16) {
      s.bad(c, "Pattern too complex");
      co_return;
    }
  }
  auto& mail = s.srv_.mail();
  auto mb = s.mailbox_;
  bool want_status = !a.ret_status.empty();
  struct Row {
    store::FolderInfo f;
    std::optional<store::FolderStatus> st;
    uint32_t recent = 0;
  };
  bool want_recent = want_status && wants_recent(a.ret_status);
  auto r = co_await s.blocking([&]() -> base::Result<std::vector<Row>> {
    auto fs = PH_TRY(mail.list_folders(mb));
    std::vector<Row> rows;
    for (auto& f : fs) {
      Row row{std::move(f), std::nullopt};
      if (want_status) {
        auto st = mail.status(mb, row.f.id);
        if (st) row.st = *st;
        if (want_recent) row.recent = PH_TRY(count_recent(s, mb, row.f.id));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  });
  if (!r) {
    s.fail(c, r.error());
    co_return;
  }
  std::set<std::string> names;
  for (const auto& row : *r) names.insert(row.f.name);
  auto has_children = [&](const std::string& n) {
    auto it = names.upper_bound(n + "/");
    return it != names.end() && it->compare(0, n.size() + 1, n + "/") == 0;
  };
  std::string line;
  for (const auto& row : *r) {
    std::string wire = s.wire_name(row.f.name);
    bool match = false;
    for (auto p : a.patterns) {
      std::string pat = canonical_pattern(std::string(a.reference) + std::string(p));
      if (wild_match(pat, wire)) match = true;
    }
    if (!match) continue;
    if ((lsub || a.subscribed) && !row.f.subscribed) continue;
    if (a.special_use_sel && row.f.special_use.empty()) continue;
    line = lsub ? "LSUB (" : "LIST (";
    size_t start = line.size();
    auto attr = [&](std::string_view x) {
      if (line.size() > start) line += ' ';
      line += x;
    };
    if (!lsub) attr(has_children(row.f.name) ? "\\HasChildren" : "\\HasNoChildren");
    if (!lsub && (a.subscribed || a.ret_subscribed) && row.f.subscribed) attr("\\Subscribed");
    if (!row.f.special_use.empty() && (!a.extended || a.ret_special_use || a.special_use_sel)) {
      attr(row.f.special_use);
    }
    line += ") \"/\" ";
    s.append_mailbox(line, row.f.name);
    s.untagged(line);
    if (want_status && row.st) {
      if (format_status(s, row.f.name, row.f.id, a.ret_status, *row.st, row.recent, line)) s.untagged(line);
    }
  }
  s.ok(c, lsub ? "LSUB completed" : "LIST completed");
}

}  // namespace posthouse::server::imap
