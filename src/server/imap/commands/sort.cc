#include <fmt/format.h>

#include <algorithm>

#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

namespace {

using Key = codec::SortCriterion::Key;

// RFC 5256 3: comparisons on the store's precomputed sort keys (addr-mailbox, base subject).
int compare(const SearchHit& a, const SearchHit& b, Key k) {
  static const store::HeaderInfo kNone;
  const auto& ha = a.meta.headers ? *a.meta.headers : kNone;
  const auto& hb = b.meta.headers ? *b.meta.headers : kNone;
  auto cmp = [](const auto& x, const auto& y) { return x < y ? -1 : (y < x ? 1 : 0); };
  switch (k) {
    case Key::kArrival: return cmp(a.meta.internaldate, b.meta.internaldate);
    case Key::kCc: return cmp(ha.sort_cc, hb.sort_cc);
    case Key::kDate:
      return cmp(ha.date.value_or(a.meta.internaldate), hb.date.value_or(b.meta.internaldate));
    case Key::kFrom:
    case Key::kDisplayFrom: return cmp(ha.sort_from, hb.sort_from);
    case Key::kTo:
    case Key::kDisplayTo: return cmp(ha.sort_to, hb.sort_to);
    case Key::kSize: return cmp(a.meta.size, b.meta.size);
    case Key::kSubject: return cmp(ha.base_subject, hb.base_subject);
  }
  return 0;
}

}  // namespace

PH_IMAP_HANDLER(cmd_sort) {
  const auto& a = std::get<codec::Sort>(c.args);
  auto hits = co_await run_search(s, a.key, a.charset, true);
  if (!hits) {
    s.fail(c, hits.error());
    co_return;
  }
  std::stable_sort(hits->begin(), hits->end(), [&](const SearchHit& x, const SearchHit& y) {
    for (const auto& cr : a.criteria) {
      int r = compare(x, y, cr.key);
      if (r != 0) return cr.reverse ? r > 0 : r < 0;
    }
    return x.seq < y.seq;
  });
  std::vector<uint32_t> nums;
  for (const auto& h : *hits) nums.push_back(c.uid ? h.meta.uid : h.seq);
  if (a.ret.save) {
    s.saved_.clear();
    for (const auto& h : *hits) s.saved_.push_back(h.meta.uid);
    std::sort(s.saved_.begin(), s.saved_.end());
  }
  if (a.ret.esearch) {
    // ESORT (RFC 5267): MIN/MAX are the first and last in sort order; ALL keeps the order.
    std::string out = "ESEARCH (TAG ";
    codec::append_quoted_or_literal(out, c.tag);
    out += ')';
    if (c.uid) out += " UID";
    bool any = a.ret.min || a.ret.max || a.ret.all || a.ret.count;
    if (a.ret.min && !nums.empty()) out += fmt::format(" MIN {}", nums.front());
    if (a.ret.max && !nums.empty()) out += fmt::format(" MAX {}", nums.back());
    if (a.ret.count) out += fmt::format(" COUNT {}", nums.size());
    if ((a.ret.all || (!any && !a.ret.save)) && !nums.empty()) {
      out += " ALL ";
      for (size_t i = 0; i < nums.size(); ++i) out += fmt::format("{}{}", i ? "," : "", nums[i]);
    }
    if (any || !a.ret.save) s.untagged(out);
  } else {
    std::string line = "SORT";
    for (auto n : nums) line += fmt::format(" {}", n);
    s.untagged(line);
  }
  s.ok(c, "SORT completed");
}

}  // namespace posthouse::server::imap
