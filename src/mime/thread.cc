#include "mime/thread.h"

#include <algorithm>
#include <limits>
#include <tuple>
#include <unordered_map>

#include "mime/subject.h"

namespace posthouse::mime {

namespace {

constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

// RFC 5256 5: msg-ids compare after their quoting is removed, so <"a b"@x> and <a b@x> match.
std::string normalize_id(std::string_view id) {
  std::string out;
  out.reserve(id.size());
  bool escaped = false;
  for (char c : id) {
    if (escaped) {
      out += c;
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (c != '"') {
      out += c;
    }
  }
  return out;
}

// Orders nodes by sent date, then sequence number (RFC 5256 2.2); a dummy by its first child.
struct ByDate {
  std::span<const ThreadMessage> msgs;
  const ThreadForest& f;
  uint32_t lead(uint32_t x) const { return f.dummy(x) ? f.children[x].front() : x; }
  bool operator()(uint32_t a, uint32_t b) const {
    const auto& x = msgs[lead(a)];
    const auto& y = msgs[lead(b)];
    return std::tie(x.sent_date, x.seq) < std::tie(y.sent_date, y.seq);
  }
};

// Step 1: parent links from References (or In-Reply-To). Returns one parent per container;
// containers past msgs.size() are the dummies (msg-ids referenced but not in the set).
std::vector<uint32_t> link_references(std::span<const ThreadMessage> msgs) {
  const size_t n = msgs.size();
  std::vector<uint32_t> parent(n, kNone);
  std::unordered_map<std::string, uint32_t> by_id;
  by_id.reserve(n * 2);
  // A duplicate or missing Message-ID gets a unique one: only the first holder is findable.
  for (size_t i = 0; i < n; ++i) {
    std::string id = normalize_id(msgs[i].message_id);
    if (!id.empty()) by_id.emplace(std::move(id), static_cast<uint32_t>(i));
  }
  std::vector<uint32_t> kids(n, 0);  // children per container: a childless one closes no loop
  auto container = [&](std::string_view ref) {
    std::string id = normalize_id(ref);
    if (id.empty()) return kNone;
    auto [it, fresh] = by_id.emplace(std::move(id), static_cast<uint32_t>(parent.size()));
    if (fresh) {
      parent.push_back(kNone);
      kids.push_back(0);
    }
    return it->second;
  };
  // Linking p above c makes a loop exactly when c is p or one of p's ancestors. The walk up
  // from p is only needed when c has children (in a plain reply chain it never has).
  auto makes_loop = [&](uint32_t p, uint32_t c) {
    if (p == c) return true;
    if (kids[c] == 0) return false;
    for (uint32_t x = p; x != kNone; x = parent[x]) {
      if (x == c) return true;
    }
    return false;
  };
  auto set_parent = [&](uint32_t c, uint32_t p) {
    if (parent[c] != kNone) --kids[parent[c]];
    parent[c] = p;
    if (p != kNone) ++kids[p];
  };
  std::vector<uint32_t> refs;
  for (size_t i = 0; i < n; ++i) {
    refs.clear();
    for (const auto& r : msgs[i].references) {
      if (uint32_t c = container(r); c != kNone) refs.push_back(c);
    }
    if (refs.empty() && !msgs[i].in_reply_to.empty()) {
      if (uint32_t c = container(msgs[i].in_reply_to); c != kNone) refs.push_back(c);
    }
    // (A) each reference is the parent of the next, unless that one has a parent already.
    for (size_t k = 0; k + 1 < refs.size(); ++k) {
      uint32_t a = refs[k], b = refs[k + 1];
      if (parent[b] != kNone || makes_loop(a, b)) continue;
      set_parent(b, a);
    }
    // (B) the last reference is this message's parent, replacing a parent it already had
    // (a truncated References elsewhere); no references at all: no parent.
    auto self = static_cast<uint32_t>(i);
    if (refs.empty()) {
      set_parent(self, kNone);
    } else if (!makes_loop(refs.back(), self)) {
      set_parent(self, refs.back());
    }
  }
  return parent;
}

// Step 4 below the top level: every dummy is replaced by its children, bottom up, iteratively.
void splice_dummies(ThreadForest& f, uint32_t top) {
  std::vector<std::pair<uint32_t, size_t>> stack{{top, 0}};
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < f.children[node].size()) {
      uint32_t kid = f.children[node][next++];
      if (!f.children[kid].empty()) stack.emplace_back(kid, 0);
      continue;
    }
    auto& kids = f.children[node];
    if (std::any_of(kids.begin(), kids.end(), [&](uint32_t k) { return f.dummy(k); })) {
      std::vector<uint32_t> out;
      for (uint32_t k : kids) {
        if (!f.dummy(k)) {
          out.push_back(k);
          continue;
        }
        auto& grand = f.children[k];
        out.insert(out.end(), grand.begin(), grand.end());
        grand.clear();
      }
      kids = std::move(out);
    }
    stack.pop_back();
  }
}

// Step 5: threads whose subjects match are gathered under one root.
void merge_by_subject(std::span<const ThreadMessage> msgs, ThreadForest& f) {
  ByDate by_date{msgs, f};
  auto& roots = f.roots;
  std::vector<std::string> key(roots.size());
  std::vector<bool> reply(roots.size());
  for (size_t i = 0; i < roots.size(); ++i) {
    BaseSubject b = extract_base_subject(msgs[by_date.lead(roots[i])].subject);
    key[i] = unicode_casemap(b.text);
    reply[i] = b.reply_or_forward;
  }
  // (B) one root per subject: a dummy beats a message, a message beats a reply.
  std::unordered_map<std::string_view, size_t> table;
  for (size_t i = 0; i < roots.size(); ++i) {
    if (key[i].empty()) continue;
    auto [it, fresh] = table.emplace(key[i], i);
    if (fresh) continue;
    size_t t = it->second;
    bool cur_dummy = f.dummy(roots[i]), tab_dummy = f.dummy(roots[t]);
    if ((cur_dummy && !tab_dummy) || (!cur_dummy && !tab_dummy && reply[t] && !reply[i])) {
      it->second = i;
    }
  }
  // (C) merge every other root with that subject into the table's.
  std::vector<bool> gone(roots.size());
  for (size_t i = 0; i < roots.size(); ++i) {
    if (key[i].empty()) continue;
    size_t t = table.at(key[i]);
    if (t == i) continue;
    uint32_t cur = roots[i], tab = roots[t];
    if (f.dummy(cur) && f.dummy(tab)) {
      auto& from = f.children[cur];
      f.children[tab].insert(f.children[tab].end(), from.begin(), from.end());
      from.clear();
    } else if (f.dummy(tab) || (!f.dummy(cur) && reply[i] && !reply[t])) {
      f.children[tab].push_back(cur);
    } else {
      auto dummy = static_cast<uint32_t>(f.children.size());
      f.children.push_back({tab, cur});
      roots[t] = dummy;
    }
    gone[i] = true;
  }
  size_t w = 0;
  for (size_t i = 0; i < roots.size(); ++i) {
    if (!gone[i]) roots[w++] = roots[i];
  }
  roots.resize(w);
}

}  // namespace

ThreadForest thread_references(std::span<const ThreadMessage> msgs) {
  std::vector<uint32_t> parent = link_references(msgs);
  ThreadForest f;
  f.messages = msgs.size();
  f.children.resize(parent.size());
  // (2) the root set; (3) the id table is gone with link_references.
  std::vector<uint32_t> top;
  for (size_t c = 0; c < parent.size(); ++c) {
    auto node = static_cast<uint32_t>(c);
    if (parent[c] == kNone) {
      top.push_back(node);
    } else {
      f.children[parent[c]].push_back(node);
    }
  }
  // (4) prune dummies: spliced into their parent below the top; at the top a dummy stays
  // only to hold two or more children.
  for (uint32_t r : top) {
    splice_dummies(f, r);
    if (!f.dummy(r)) {
      f.roots.push_back(r);
    } else if (f.children[r].size() == 1) {
      f.roots.push_back(f.children[r].front());
      f.children[r].clear();
    } else if (!f.children[r].empty()) {
      f.roots.push_back(r);
    }
  }
  ByDate by_date{msgs, f};
  // (4, end) top-level order by sent date, a dummy by its earliest child.
  for (uint32_t r : f.roots) {
    if (f.dummy(r)) std::sort(f.children[r].begin(), f.children[r].end(), by_date);
  }
  std::stable_sort(f.roots.begin(), f.roots.end(), by_date);
  // (5) subjects
  merge_by_subject(msgs, f);
  // (6) every set of siblings by sent date (children first: a dummy sorts by its first child).
  for (auto& kids : f.children) std::sort(kids.begin(), kids.end(), by_date);
  std::stable_sort(f.roots.begin(), f.roots.end(), by_date);
  return f;
}

ThreadForest thread_ordered_subject(std::span<const ThreadMessage> msgs) {
  ThreadForest f;
  f.messages = msgs.size();
  f.children.resize(msgs.size());
  std::vector<std::string> key(msgs.size());
  std::vector<uint32_t> order(msgs.size());
  for (size_t i = 0; i < msgs.size(); ++i) {
    key[i] = unicode_casemap(extract_base_subject(msgs[i].subject).text);
    order[i] = static_cast<uint32_t>(i);
  }
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return std::tie(key[a], msgs[a].sent_date, msgs[a].seq) <
           std::tie(key[b], msgs[b].sent_date, msgs[b].seq);
  });
  // Each run of one base subject is a thread: its first message the root, the rest its
  // children; threads ordered by their first message's sent date.
  for (size_t i = 0; i < order.size(); ++i) {
    if (i > 0 && key[order[i]] == key[order[i - 1]]) {
      f.children[f.roots.back()].push_back(order[i]);
    } else {
      f.roots.push_back(order[i]);
    }
  }
  std::stable_sort(f.roots.begin(), f.roots.end(), ByDate{msgs, f});
  return f;
}

std::string format_thread_list(const ThreadForest& f, std::span<const uint32_t> numbers) {
  std::string out;
  struct Open {
    uint32_t node;
    size_t next;
  };
  std::vector<Open> open;
  for (uint32_t root : f.roots) {
    out += '(';
    uint32_t cur = root;
    for (;;) {
      // A chain of single children is written flat: "3 6 ...".
      for (;;) {
        bool dummy = f.dummy(cur);
        if (!dummy) out += std::to_string(numbers[cur]);
        const auto& kids = f.children[cur];
        if (kids.empty()) break;
        if (!dummy) out += ' ';
        if (kids.size() == 1) {
          cur = kids.front();
          continue;
        }
        open.push_back({cur, 0});  // two or more children: each one in parentheses
        break;
      }
      bool more = false;
      while (!open.empty()) {
        Open& o = open.back();
        if (o.next > 0) out += ')';
        if (o.next < f.children[o.node].size()) {
          out += '(';
          cur = f.children[o.node][o.next++];
          more = true;
          break;
        }
        open.pop_back();
      }
      if (!more) break;
    }
    out += ')';
  }
  return out;
}

}  // namespace posthouse::mime
