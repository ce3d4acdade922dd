#include <fmt/format.h>

#include <algorithm>

#include "mime/subject.h"
#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

namespace {

using Key = codec::SortCriterion::Key;

// RFC 5256 3: the value a criterion sorts on. Strings (base subject, the first address's
// mailbox) are collated i;unicode-casemap (RFC 5256 7), so they are keyed once per message.
bool is_text(Key k) { return k != Key::kArrival && k != Key::kDate && k != Key::kSize; }

std::string text_key(const SearchHit& h, Key k) {
  if (!h.meta.headers) return {};
  const auto& hd = *h.meta.headers;
  switch (k) {
    case Key::kCc: return mime::unicode_casemap(hd.sort_cc);
    case Key::kFrom:
    case Key::kDisplayFrom: return mime::unicode_casemap(hd.sort_from);
    case Key::kTo:
    case Key::kDisplayTo: return mime::unicode_casemap(hd.sort_to);
    case Key::kSubject: return mime::unicode_casemap(hd.base_subject);
    default: return {};
  }
}

int64_t number_key(const SearchHit& h, Key k) {
  switch (k) {
    case Key::kArrival: return h.meta.internaldate;
    case Key::kDate:
      return h.meta.headers ? h.meta.headers->date.value_or(h.meta.internaldate)
                            : h.meta.internaldate;
    case Key::kSize: return static_cast<int64_t>(h.meta.size);
    default: return 0;
  }
}

}  // namespace

PH_IMAP_HANDLER(cmd_sort) {
  const auto& a = std::get<codec::Sort>(c.args);
  auto hits = co_await run_search(s, a.key, a.charset, true);
  if (!hits) {
    s.fail(c, hits.error());
    co_return;
  }
  // keys[j][i]: criterion j of message i.
  const size_t n = hits->size();
  std::vector<std::vector<std::string>> text(a.criteria.size());
  std::vector<std::vector<int64_t>> num(a.criteria.size());
  for (size_t j = 0; j < a.criteria.size(); ++j) {
    Key k = a.criteria[j].key;
    if (is_text(k)) {
      text[j].reserve(n);
      for (const auto& h : *hits) text[j].push_back(text_key(h, k));
    } else {
      num[j].reserve(n);
      for (const auto& h : *hits) num[j].push_back(number_key(h, k));
    }
  }
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    for (size_t j = 0; j < a.criteria.size(); ++j) {
      int r = 0;
      if (is_text(a.criteria[j].key)) {
        r = text[j][x].compare(text[j][y]);
      } else {
        r = num[j][x] < num[j][y] ? -1 : (num[j][y] < num[j][x] ? 1 : 0);
      }
      if (r != 0) return a.criteria[j].reverse ? r > 0 : r < 0;
    }
    return (*hits)[x].seq < (*hits)[y].seq;  // RFC 5256 3: ties go by sequence number
  });
  std::vector<uint32_t> nums;
  for (size_t i : order) nums.push_back(c.uid ? (*hits)[i].meta.uid : (*hits)[i].seq);
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
