#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <unordered_map>

#include "base/clock.h"
#include "base/strings.h"
#include "mime/part_map.h"
#include "mime/search_text.h"
#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

namespace {

using SK = codec::SearchKey;
using Kind = codec::SearchKey::Kind;

bool needs_headers(const SK& k) {
  switch (k.kind) {
    case Kind::kBcc:
    case Kind::kCc:
    case Kind::kFrom:
    case Kind::kSubject:
    case Kind::kTo:
    case Kind::kSentBefore:
    case Kind::kSentOn:
    case Kind::kSentSince:
      return true;
    default:
      break;
  }
  for (const auto& c : k.children) {
    if (needs_headers(c)) return true;
  }
  return false;
}

// HEADER, BODY and TEXT read the message, EMAILID its body's address; the others use metadata
// only.
bool needs_content(const SK& k) {
  if (k.kind == Kind::kHeader || k.kind == Kind::kBody || k.kind == Kind::kText ||
      k.kind == Kind::kEmailId)
    return true;
  for (const auto& c : k.children) {
    if (needs_content(c)) return true;
  }
  return false;
}

bool uses_modseq(const SK& k) {
  if (k.kind == Kind::kModseq) return true;
  for (const auto& c : k.children) {
    if (uses_modseq(c)) return true;
  }
  return false;
}

bool icontains(std::string_view hay, const std::string& needle_lower) {
  if (needle_lower.empty()) return true;
  if (hay.size() < needle_lower.size()) return false;
  for (size_t i = 0; i + needle_lower.size() <= hay.size(); ++i) {
    size_t j = 0;
    for (; j < needle_lower.size(); ++j) {
      char h = hay[i + j];
      if (h >= 'A' && h <= 'Z') h = static_cast<char>(h - 'A' + 'a');
      if (h != needle_lower[j]) break;
    }
    if (j == needle_lower.size()) return true;
  }
  return false;
}

// SUBJECT, BODY and TEXT keys the store answered from its full-text index: the matching
// UIDs (ascending) by key. A key absent here is evaluated by scanning.
using Indexed = std::unordered_map<const SK*, std::vector<store::Uid>>;

base::Status ask_index(store::MailStore& mail, store::MailboxId mb, store::FolderId folder,
                       const SK& k, Indexed& out) {
  using F = store::MailStore::TextField;
  if (k.kind == Kind::kSubject || k.kind == Kind::kBody || k.kind == Kind::kText) {
    F f = k.kind == Kind::kSubject ? F::kSubject : k.kind == Kind::kBody ? F::kBody : F::kText;
    auto uids = PH_TRY(mail.search_text(mb, folder, f, k.text));
    if (uids) out.emplace(&k, std::move(*uids));
  }
  for (const auto& c : k.children) PH_CHECK(ask_index(mail, mb, folder, c, out));
  return {};
}

// A BODY or TEXT key that the scan must evaluate (the index gave no answer for it).
bool scans_body(const SK& k, const Indexed& indexed) {
  if ((k.kind == Kind::kBody || k.kind == Kind::kText) && !indexed.count(&k)) return true;
  for (const auto& c : k.children) {
    if (scans_body(c, indexed)) return true;
  }
  return false;
}

int64_t day_of(int64_t t) { return t >= 0 ? t / 86400 : (t - 86399) / 86400; }

struct Eval {
  store::MailStore& mail;
  store::MailboxId mb;
  store::FolderId folder;
  uint32_t exists;
  store::Uid max_uid;
  const std::vector<store::Uid>& saved;
  int64_t now;
  const Session& session;  // for \Recent
  const Indexed& indexed;

  struct Msg {
    const store::MessageMeta& m;
    uint32_t seq;
    std::optional<std::string> header, body;
  };

  // The answer of the index for key k, if it gave one.
  std::optional<bool> from_index(const SK& k, store::Uid uid) const {
    auto it = indexed.find(&k);
    if (it == indexed.end()) return std::nullopt;
    return std::binary_search(it->second.begin(), it->second.end(), uid);
  }

  base::Result<std::string_view> header(Msg& x) {
    if (!x.header) x.header = PH_TRY(mail.read(mb, folder, x.m.uid, 0, x.m.header_size));
    return std::string_view(*x.header);
  }
  // The body as SEARCH sees it (mime/search_text.h): decoded text parts, what the index holds.
  base::Result<std::string_view> body(Msg& x) {
    if (!x.body) {
      auto raw = PH_TRY(mail.read(mb, folder, x.m.uid));
      auto parts = mime::PartMap::parse(x.m.part_map);
      x.body = parts ? mime::body_search_text(raw, *parts) : std::string();
    }
    return std::string_view(*x.body);
  }

  // HEADER field value containing text (header lines unfolded by scanning continuations).
  base::Result<bool> header_field(Msg& x, std::string_view name, const std::string& text) {
    auto h = PH_TRY(header(x));
    size_t pos = 0;
    while (pos < h.size()) {
      size_t end = h.find('\n', pos);
      if (end == std::string_view::npos) end = h.size();
      while (end + 1 < h.size() && (h[end + 1] == ' ' || h[end + 1] == '\t')) {
        end = h.find('\n', end + 1);
        if (end == std::string_view::npos) end = h.size();
      }
      std::string_view line = h.substr(pos, end - pos);
      size_t colon = line.find(':');
      if (colon != std::string_view::npos &&
          base::iequals(base::trim(line.substr(0, colon)), name)) {
        if (icontains(line.substr(colon + 1), text)) return true;
      }
      pos = end + 1;
    }
    return false;
  }

  base::Result<bool> match(const SK& k, Msg& x) {
    const auto& m = x.m;
    auto lower = [](std::string_view t) { return base::to_lower(t); };
    auto hdr = [&]() -> const store::HeaderInfo& {
      static const store::HeaderInfo kNone;
      return m.headers ? *m.headers : kNone;
    };
    uint32_t f = m.flags.system;
    switch (k.kind) {
      case Kind::kAll:
        return true;
      case Kind::kAnswered:
        return (f & store::kAnswered) != 0;
      case Kind::kDeleted:
        return (f & store::kDeleted) != 0;
      case Kind::kDraft:
        return (f & store::kDraft) != 0;
      case Kind::kFlagged:
        return (f & store::kFlagged) != 0;
      case Kind::kSeen:
        return (f & store::kSeen) != 0;
      case Kind::kUnanswered:
        return (f & store::kAnswered) == 0;
      case Kind::kUndeleted:
        return (f & store::kDeleted) == 0;
      case Kind::kUndraft:
        return (f & store::kDraft) == 0;
      case Kind::kUnflagged:
        return (f & store::kFlagged) == 0;
      case Kind::kUnseen:
        return (f & store::kSeen) == 0;
      case Kind::kRecent:
        return session.is_recent(m.uid);
      case Kind::kNew:
        return session.is_recent(m.uid) && (f & store::kSeen) == 0;
      case Kind::kOld:
        return !session.is_recent(m.uid);
      case Kind::kKeyword:
      case Kind::kUnkeyword: {
        bool has = std::binary_search(m.flags.keywords.begin(), m.flags.keywords.end(),
                                      std::string(k.text));
        return k.kind == Kind::kKeyword ? has : !has;
      }
      case Kind::kBcc:
        return icontains(hdr().bcc, lower(k.text));
      case Kind::kCc:
        return icontains(hdr().cc, lower(k.text));
      case Kind::kFrom:
        return icontains(hdr().from, lower(k.text));
      case Kind::kTo:
        return icontains(hdr().to, lower(k.text));
      case Kind::kSubject:
        if (auto r = from_index(k, m.uid)) return *r;
        return icontains(hdr().subject, lower(k.text));
      case Kind::kHeader:
        return header_field(x, k.header, lower(k.text));
      case Kind::kBody: {
        if (auto r = from_index(k, m.uid)) return *r;
        auto b = PH_TRY(body(x));
        return icontains(b, lower(k.text));
      }
      case Kind::kText: {
        if (auto r = from_index(k, m.uid)) return *r;
        auto h = PH_TRY(header(x));
        if (icontains(h, lower(k.text))) return true;
        auto b = PH_TRY(body(x));
        return icontains(b, lower(k.text));
      }
      case Kind::kBefore:
        return day_of(m.internaldate) < civil_days(k.date);
      case Kind::kOn:
        return day_of(m.internaldate) == civil_days(k.date);
      case Kind::kSince:
        return day_of(m.internaldate) >= civil_days(k.date);
      case Kind::kSentBefore:
      case Kind::kSentOn:
      case Kind::kSentSince: {
        if (!hdr().date) return false;
        int64_t d = day_of(*hdr().date), want = civil_days(k.date);
        return k.kind == Kind::kSentBefore ? d < want
               : k.kind == Kind::kSentOn   ? d == want
                                           : d >= want;
      }
      case Kind::kSavedBefore:
        return day_of(m.savedate) < civil_days(k.date);
      case Kind::kSavedOn:
        return day_of(m.savedate) == civil_days(k.date);
      case Kind::kSavedSince:
        return day_of(m.savedate) >= civil_days(k.date);
      case Kind::kSaveDateSupported:
        return true;  // every folder keeps save dates (RFC 8514 4.2)
      case Kind::kEmailId:
        return k.text == email_object_id(m.blob);
      case Kind::kThreadId:
        return false;  // THREADID is NIL: no message has one (RFC 8474 5.2)
      case Kind::kLarger:
        return m.size > k.number;
      case Kind::kSmaller:
        return m.size < k.number;
      case Kind::kUid:
        if (k.set.saved) return std::binary_search(saved.begin(), saved.end(), m.uid);
        return k.set.contains(m.uid, max_uid);
      case Kind::kSequence:
        if (k.set.saved) return std::binary_search(saved.begin(), saved.end(), m.uid);
        return k.set.contains(x.seq, exists);
      case Kind::kModseq:
        return m.modseq >= k.number;
      case Kind::kOlder:
        return now - m.internaldate >= static_cast<int64_t>(k.number);
      case Kind::kYounger:
        return now - m.internaldate <= static_cast<int64_t>(k.number);
      case Kind::kNot: {
        bool r = PH_TRY(match(k.children.at(0), x));
        return !r;
      }
      case Kind::kOr: {
        bool r = PH_TRY(match(k.children.at(0), x));
        if (r) return true;
        return match(k.children.at(1), x);
      }
      case Kind::kAnd:
        for (const auto& c : k.children) {
          bool r = PH_TRY(match(c, x));
          if (!r) return false;
        }
        return true;
    }
    return false;
  }
};

}  // namespace

boost::asio::awaitable<base::Result<std::vector<SearchHit>>> run_search(
    Session& s, const codec::SearchKey& key, std::optional<std::string_view> charset,
    bool with_headers) {
  if (charset && !base::iequals(*charset, "UTF-8") && !base::iequals(*charset, "US-ASCII")) {
    co_return base::Error(base::Errc::kInvalid, "unsupported charset", "charset");
  }
  auto& mail = s.srv_.mail();
  Indexed indexed;
  Eval ev{mail,
          s.mailbox_,
          s.folder_,
          static_cast<uint32_t>(s.uids_.size()),
          s.uids_.empty() ? 0 : s.uids_.back(),
          s.saved_,
          base::unix_now(),
          s,
          indexed};
  store::FetchOptions fo;
  fo.headers = with_headers || needs_headers(key);
  fo.flags_only = !fo.headers && !needs_content(key);
  auto r = co_await s.blocking([&]() -> base::Result<std::vector<SearchHit>> {
    std::vector<SearchHit> hits;
    if (s.uids_.empty()) return hits;
    PH_CHECK(ask_index(mail, ev.mb, ev.folder, key, indexed));
    // The part map only for the body text of a BODY/TEXT key the index did not answer.
    fo.structure = scans_body(key, indexed);
    store::UidSet all{store::UidRange{s.uids_.front(), s.uids_.back()}};
    auto metas = PH_TRY(mail.fetch(ev.mb, ev.folder, all, fo));
    for (auto& m : metas) {
      uint32_t seq = s.seq_of(m.uid);
      if (seq == 0) continue;  // arrived after our last EXISTS
      Eval::Msg x{m, seq, std::nullopt, std::nullopt};
      bool ok = PH_TRY(ev.match(key, x));
      if (ok) hits.push_back(SearchHit{seq, std::move(m)});
    }
    return hits;
  });
  co_return r;
}

std::string esearch_result(std::string_view tag, bool uid, const std::vector<uint32_t>& nums,
                           bool min, bool max, bool all, bool count,
                           std::optional<store::ModSeq> modseq) {
  std::string out = "ESEARCH (TAG ";
  codec::append_quoted_or_literal(out, tag);
  out += ')';
  if (uid) out += " UID";
  if (min && !nums.empty()) out += fmt::format(" MIN {}", nums.front());
  if (max && !nums.empty()) out += fmt::format(" MAX {}", nums.back());
  if (count) out += fmt::format(" COUNT {}", nums.size());
  if (all && !nums.empty()) {
    codec::SequenceSet set;
    for (auto n : nums) {
      if (!set.ranges.empty() && set.ranges.back().last + 1 == n) {
        set.ranges.back().last = n;
      } else {
        set.ranges.push_back({n, n});
      }
    }
    out += " ALL " + codec::format_sequence_set(set);
  }
  if (modseq) out += fmt::format(" MODSEQ {}", *modseq);
  return out;
}

PH_IMAP_HANDLER(cmd_search) {
  const auto& a = std::get<codec::Search>(c.args);
  auto hits = co_await run_search(s, a.key, a.charset, false);
  if (!hits) {
    s.fail(c, hits.error());
    co_return;
  }
  std::vector<uint32_t> nums;
  std::optional<store::ModSeq> modseq;
  if (uses_modseq(a.key)) {
    s.condstore_ = true;
    store::ModSeq mx = 0;
    for (const auto& h : *hits) mx = std::max(mx, h.meta.modseq);
    if (!hits->empty()) modseq = mx;
  }
  for (const auto& h : *hits) nums.push_back(c.uid ? h.meta.uid : h.seq);
  if (a.ret.save) {
    s.saved_.clear();
    for (const auto& h : *hits) s.saved_.push_back(h.meta.uid);
  }
  // RFC 9051 6.4.4: once IMAP4rev2 is enabled, SEARCH without RETURN answers as RETURN (ALL).
  if (a.ret.esearch || s.rev2_) {
    bool any = a.ret.min || a.ret.max || a.ret.all || a.ret.count;
    bool all = a.ret.all || (!any && !a.ret.save);
    // RFC 5182 2.1: RETURN (SAVE) alone produces no ESEARCH response.
    if (any || !a.ret.save) {
      s.untagged(
          esearch_result(c.tag, c.uid, nums, a.ret.min, a.ret.max, all, a.ret.count, modseq));
    }
  } else {
    std::string line = "SEARCH";
    for (auto n : nums) line += fmt::format(" {}", n);
    if (modseq) line += fmt::format(" (MODSEQ {})", *modseq);
    s.untagged(line);
  }
  s.ok(c, "SEARCH completed");
}

}  // namespace posthouse::server::imap
