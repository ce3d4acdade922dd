#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

namespace {

struct Node {
  const SearchHit* hit = nullptr;
  std::vector<size_t> children;
  int64_t date = 0;
};

int64_t sent_date(const SearchHit& h) {
  return h.meta.headers && h.meta.headers->date ? *h.meta.headers->date : h.meta.internaldate;
}

// RFC 5256 thread-list syntax: a single child continues the chain, several children nest.
void format_node(const std::vector<Node>& nodes, size_t i, bool uid, std::string& out) {
  const Node& n = nodes[i];
  out += std::to_string(uid ? n.hit->meta.uid : n.hit->seq);
  if (n.children.size() == 1) {
    out += ' ';
    format_node(nodes, n.children[0], uid, out);
  } else {
    for (size_t c : n.children) {
      out += " (";
      format_node(nodes, c, uid, out);
      out += ')';
    }
  }
}

}  // namespace

// THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256). REFERENCES links messages by
// References/In-Reply-To among the matching messages (steps 1-2 of the algorithm); threads
// whose root is missing are not merged by subject. Siblings and roots are ordered by sent date.
PH_IMAP_HANDLER(cmd_thread) {
  const auto& a = std::get<codec::Thread>(c.args);
  auto hits = co_await run_search(s, a.key, a.charset, true);
  if (!hits) {
    s.fail(c, hits.error());
    co_return;
  }
  std::vector<Node> nodes(hits->size());
  for (size_t i = 0; i < hits->size(); ++i) {
    nodes[i].hit = &(*hits)[i];
    nodes[i].date = sent_date((*hits)[i]);
  }
  std::vector<size_t> roots;
  if (a.algorithm == codec::Thread::Algorithm::kOrderedSubject) {
    std::map<std::string, size_t> by_subject;
    std::vector<size_t> order(nodes.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t x, size_t y) { return nodes[x].date < nodes[y].date; });
    for (size_t i : order) {
      const auto& h = *nodes[i].hit;
      std::string subj = h.meta.headers ? h.meta.headers->base_subject : "";
      auto [it, fresh] = by_subject.emplace(subj, i);
      if (fresh) {
        roots.push_back(i);
      } else {
        nodes[it->second].children.push_back(i);
      }
    }
    // ORDEREDSUBJECT threads are one level deep: the root's children each in parentheses.
    std::string line = roots.empty() ? "THREAD" : "THREAD ";
    for (size_t r : roots) {
      line += "(";
      line += std::to_string(c.uid ? nodes[r].hit->meta.uid : nodes[r].hit->seq);
      const auto& ch = nodes[r].children;
      if (ch.size() == 1) {
        line += ' ' + std::to_string(c.uid ? nodes[ch[0]].hit->meta.uid : nodes[ch[0]].hit->seq);
      } else {
        for (size_t x : ch) {
          line += " (" + std::to_string(c.uid ? nodes[x].hit->meta.uid : nodes[x].hit->seq) + ")";
        }
      }
      line += ')';
    }
    s.untagged(line);
    s.ok(c, "THREAD completed");
    co_return;
  }
  std::unordered_map<std::string, size_t> by_id;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto& h = nodes[i].hit->meta.headers;
    if (h && !h->message_id.empty()) by_id.emplace(h->message_id, i);
  }
  std::vector<long> parent(nodes.size(), -1);
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto& h = nodes[i].hit->meta.headers;
    if (!h) continue;
    std::string ref = !h->references.empty() ? h->references.back() : h->in_reply_to;
    auto it = by_id.find(ref);
    if (it == by_id.end() || it->second == i) continue;
    // Refuse a link that would make a loop.
    bool loop = false;
    for (long p = static_cast<long>(it->second); p >= 0; p = parent[p]) {
      if (static_cast<size_t>(p) == i) {
        loop = true;
        break;
      }
    }
    if (!loop) parent[i] = static_cast<long>(it->second);
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (parent[i] < 0) {
      roots.push_back(i);
    } else {
      nodes[parent[i]].children.push_back(i);
    }
  }
  auto by_date = [&](size_t x, size_t y) {
    return nodes[x].date != nodes[y].date ? nodes[x].date < nodes[y].date
                                          : nodes[x].hit->seq < nodes[y].hit->seq;
  };
  for (auto& n : nodes) std::sort(n.children.begin(), n.children.end(), by_date);
  std::sort(roots.begin(), roots.end(), by_date);
  std::string line = roots.empty() ? "THREAD" : "THREAD ";
  for (size_t r : roots) {
    line += "(";
    format_node(nodes, r, c.uid, line);
    line += ')';
  }
  s.untagged(line);
  s.ok(c, "THREAD completed");
}

}  // namespace posthouse::server::imap
