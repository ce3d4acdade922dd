#include <fmt/format.h>

#include <algorithm>

#include "mime/part_map.h"
#include "server/imap/commands/commands.h"
#include "server/imap/fetch_body.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

namespace {

using Att = codec::FetchAtt;
using K = codec::FetchAtt::Kind;
using fetch::Ctx;
using fetch::kStreamMin;
using fetch::part_prefix;
using fetch::scan_decoded;
using fetch::section_bytes;
using fetch::section_source;
using fetch::send_stream;
using fetch::Source;
using fetch::Stream;

// Messages per store round trip, and output gathered before it is written (awaited), so a
// client that does not read its FETCH output holds at most one slice in memory.
constexpr size_t kBatch = 128;
constexpr size_t kSliceBytes = 256 * 1024;

std::string format_internaldate(int64_t t) {
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t secs = t - days * 86400;
  // civil_from_days (H. Hinnant)
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  codec::DateTime dt;
  dt.date.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  dt.date.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  dt.date.year = static_cast<int>(yoe + era * 400 + (dt.date.month <= 2));
  dt.hour = static_cast<int>(secs / 3600);
  dt.minute = static_cast<int>(secs / 60 % 60);
  dt.second = static_cast<int>(secs % 60);
  return codec::format_date_time(dt);
}

// The section as echoed in the response: "1.2.HEADER.FIELDS (FROM TO)".
std::string section_text(const codec::Section& sec) {
  std::string p = part_prefix(sec);
  auto add = [&](std::string_view t) {
    if (!p.empty()) p += '.';
    p += t;
  };
  using T = codec::Section::Text;
  switch (sec.text) {
    case T::kNone: break;
    case T::kHeader: add("HEADER"); break;
    case T::kText: add("TEXT"); break;
    case T::kMime: add("MIME"); break;
    case T::kHeaderFields:
    case T::kHeaderFieldsNot: {
      add(sec.text == T::kHeaderFields ? "HEADER.FIELDS (" : "HEADER.FIELDS.NOT (");
      for (size_t i = 0; i < sec.fields.size(); ++i) {
        if (i) p += ' ';
        codec::append_astring(p, sec.fields[i]);
      }
      p += ')';
      break;
    }
  }
  return p;
}

bool needs_structure(const Att& a) {
  switch (a.kind) {
    case K::kEnvelope:
    case K::kBody:
    case K::kBodyStructure:
    case K::kPreview:  // the part map says where the first text part is
      return true;
    case K::kBodySection:
    case K::kBinary:
    case K::kBinarySize:
      return !(a.section.part.empty() && (a.section.text == codec::Section::Text::kNone ||
                                          a.section.text == codec::Section::Text::kHeader) &&
               a.kind == K::kBodySection);
    default:
      return false;
  }
}

bool sets_seen(const Att& a) {
  return (a.kind == K::kBodySection && !a.peek) || (a.kind == K::kBinary && !a.peek) ||
         a.kind == K::kRfc822 || a.kind == K::kRfc822Text;
}

// Output of one store round: text, each piece possibly followed by a streamed literal.
struct Segment {
  std::string text;
  std::optional<Stream> stream;
};
struct Chunk {
  std::vector<Segment> segs;
  size_t next = 0;
};
// BAD for VANISHED without what it needs, and sequence
// numbers past the end; false when it replied.
bool check_request(Session& s, const codec::Command& c, const codec::Fetch& a) {
  if (a.vanished && (!c.uid || !s.qresync_ || !a.changed_since)) {
    s.bad(c, "VANISHED needs UID FETCH, QRESYNC and CHANGEDSINCE");
    return false;
  }
  if (!c.uid && !a.set.saved) {
    for (const auto& r : a.set.ranges) {
      if (r.first > s.uids_.size() || r.last > s.uids_.size()) {
        s.bad(c, "Invalid message sequence number");
        return false;
      }
    }
  }
  return true;
}

// What the items ask of the store and of each response, worked out once per command.
struct Plan {
  bool want_seen = false;  // an item sets \Seen (BODY[], BINARY[], RFC822, RFC822.TEXT)
  bool structure = false;  // an item needs the envelope, body structure or part map
  bool flags_item = false, uid_item = false, modseq_item = false;
  store::FetchOptions fo;
};

Plan make_plan(const codec::Command& c, const codec::Fetch& a) {
  Plan p;
  p.uid_item = c.uid;
  p.modseq_item = a.changed_since.has_value();
  for (const auto& it : a.items) {
    p.want_seen |= sets_seen(it);
    p.structure |= needs_structure(it);
    p.flags_item |= it.kind == K::kFlags;
    p.uid_item |= it.kind == K::kUid;
    p.modseq_item |= it.kind == K::kModseq;
  }
  bool needs_blob = false;  // EMAILID is the body's address
  for (const auto& it : a.items) needs_blob |= it.kind == K::kEmailId;
  p.fo.structure = p.structure;
  p.fo.flags_only = !p.structure && !p.want_seen && !needs_blob;
  for (const auto& it : a.items) {
    if (it.kind == K::kBodySection || it.kind == K::kBinary || it.kind == K::kBinarySize ||
        it.kind == K::kRfc822 || it.kind == K::kRfc822Header || it.kind == K::kRfc822Text) {
      p.fo.flags_only = false;
    }
  }
  p.fo.changed_since = a.changed_since;
  return p;
}

// UID FETCH ... (CHANGEDSINCE m VANISHED): the UIDs of the set expunged since m (RFC 7162
// 3.2.6), before the FETCH responses.
asio::awaitable<void> report_vanished(Session& s, const Ctx& x, const codec::Fetch& a) {
  auto gone =
      co_await s.blocking([&] { return x.mail.expunged_since(x.mb, x.folder, *a.changed_since); });
  if (!gone) co_return;
  std::vector<store::Uid> v;
  for (auto u : *gone) {
    if (a.set.contains(u, s.uids_.empty() ? store::kMaxUid : s.uids_.back())) v.push_back(u);
  }
  if (v.empty()) co_return;
  codec::SequenceSet vs;
  for (const auto& r : Session::to_uidset(v)) vs.ranges.push_back({r.first, r.last});
  s.untagged("VANISHED (EARLIER) " + codec::format_sequence_set(vs));
}

// Sets \Seen on the messages an item reads without .PEEK; the UIDs whose flags it changed
// (their FETCH responses then carry FLAGS).
asio::awaitable<std::vector<store::Uid>> mark_seen(Session& s, const Ctx& x,
                                                   const std::vector<store::Uid>& uids) {
  std::vector<store::Uid> changed;
  store::Flags seen;
  seen.system = store::kSeen;
  auto set = Session::to_uidset(uids);
  store::ModSeq before = s.known_modseq_;
  auto r = co_await s.blocking([&] {
    return x.mail.store_flags(x.mb, x.folder, set, store::FlagOp::kAdd, seen, std::nullopt);
  });
  if (r) {
    s.own_change(before, r->highestmodseq);
    for (const auto& u : r->updated) {
      if (u.changed) changed.push_back(u.uid);
    }
  }
  co_return changed;
}

// The output of one store round, built on the blocking pool: the FETCH responses of up to
// kBatch messages, ending after the message that brings the text to kSliceBytes.
class Round {
 public:
  Round(Session& s, const Ctx& x, const codec::Fetch& a, const Plan& plan,
        const std::vector<store::Uid>& seen_changed, bool& unknown_cte)
      : s_(s), x_(x), a_(a), plan_(plan), seen_changed_(seen_changed), unknown_cte_(unknown_cte) {}

  // The round that starts at uids[i].
  base::Result<Chunk> build(const std::vector<store::Uid>& uids, size_t i);

 private:
  base::Status message(const store::MessageMeta& m, uint32_t seq);
  base::Status item(const store::MessageMeta& m, const mime::PartMap* map, const Att& it);
  base::Status section_item(const store::MessageMeta& m, const mime::PartMap* map,
                            const Att& it);
  base::Status literal(const store::MessageMeta& m, const Source& src, const Att& it,
                       bool binary);
  // The space before every item of a response but the first.
  void sep() {
    if (out_.size() > start_) out_ += ' ';
  }

  Session& s_;
  const Ctx& x_;
  const codec::Fetch& a_;
  const Plan& plan_;
  const std::vector<store::Uid>& seen_changed_;
  bool& unknown_cte_;  // a BINARY item named an encoding CteDecoder does not know
  Chunk ch_;
  std::string out_;
  size_t text_bytes_ = 0;  // text already moved into segments with a stream
  size_t start_ = 0;       // where the current response's items begin in out_
};

base::Result<Chunk> Round::build(const std::vector<store::Uid>& uids, size_t i) {
  size_t end = std::min(uids.size(), i + kBatch);
  std::vector<store::Uid> part(uids.begin() + i, uids.begin() + end);
  auto metas = PH_TRY(x_.mail.fetch(x_.mb, x_.folder, Session::to_uidset(part), plan_.fo));
  ch_.next = end;
  for (const auto& m : metas) {
    uint32_t seq = s_.seq_of(m.uid);
    if (seq == 0) continue;
    PH_CHECK(message(m, seq));
    if (text_bytes_ + out_.size() >= kSliceBytes) {
      // Resume after this message next round.
      auto pos = std::find(uids.begin() + i, uids.end(), m.uid);
      ch_.next = static_cast<size_t>(pos - uids.begin()) + 1;
      break;
    }
  }
  ch_.segs.push_back(Segment{std::move(out_), std::nullopt});
  return std::move(ch_);
}

// "* n FETCH (UID u FLAGS (...) MODSEQ (m) ...)": UID, FLAGS and MODSEQ first, then the other
// items in the order asked.
base::Status Round::message(const store::MessageMeta& m, uint32_t seq) {
  std::optional<mime::PartMap> map;
  if (plan_.structure && !m.part_map.empty()) {
    auto pm = mime::PartMap::parse(m.part_map);
    if (pm) map = std::move(*pm);
  }
  out_ += "* " + s_.fetch_open(seq, m.uid);
  start_ = out_.size();
  if (plan_.uid_item && s_.uid_item_allowed()) {
    sep();
    out_ += fmt::format("UID {}", m.uid);
  }
  bool seen_now = std::binary_search(seen_changed_.begin(), seen_changed_.end(), m.uid);
  if (plan_.flags_item || seen_now) {
    sep();
    out_ += "FLAGS ";
    s_.append_flags(out_, m.flags, m.uid);
  }
  if (plan_.modseq_item) {
    sep();
    out_ += fmt::format("MODSEQ ({})", m.modseq);
  }
  for (const auto& it : a_.items) PH_CHECK(item(m, map ? &*map : nullptr, it));
  out_ += ")\r\n";
  return {};
}

base::Status Round::item(const store::MessageMeta& m, const mime::PartMap* map, const Att& it) {
  switch (it.kind) {
    case K::kInternalDate:
      sep();
      out_ += "INTERNALDATE \"" + format_internaldate(m.internaldate) + "\"";
      break;
    case K::kRfc822Size:
      sep();
      out_ += fmt::format("RFC822.SIZE {}", m.size);
      break;
    case K::kSaveDate:
      sep();
      out_ += "SAVEDATE \"" + format_internaldate(m.savedate) + "\"";
      break;
    case K::kPreview: {
      // LAZY or not, the preview is made now: it reads at most mime::kPreviewRead bytes.
      auto text = PH_TRY(fetch::preview_text(x_, m, map));
      sep();
      out_ += "PREVIEW ";
      codec::append_nstring(out_, text, s_.utf8_);
      break;
    }
    case K::kEmailId:
      sep();
      out_ += "EMAILID (" + email_object_id(m.blob) + ")";
      break;
    case K::kThreadId:
      sep();
      out_ += "THREADID NIL";  // RFC 8474 5.2: no thread ids kept (THREAD works per command)
      break;
    case K::kEnvelope:
      sep();
      out_ += "ENVELOPE " + m.envelope;
      break;
    case K::kBodyStructure:
      sep();
      out_ += "BODYSTRUCTURE " + m.bodystructure;
      break;
    case K::kBody:
      sep();
      out_ += "BODY " + m.body;
      break;
    case K::kRfc822:
    case K::kRfc822Header:
    case K::kRfc822Text: {
      Source src;
      src.offset = it.kind == K::kRfc822Text ? std::min(m.size, m.header_size) : 0;
      src.length = it.kind == K::kRfc822Header ? std::min(m.size, m.header_size)
                                               : m.size - src.offset;
      sep();
      out_ += it.kind == K::kRfc822         ? "RFC822 "
              : it.kind == K::kRfc822Header ? "RFC822.HEADER "
                                            : "RFC822.TEXT ";
      return literal(m, src, it, false);
    }
    case K::kBodySection:
    case K::kBinary:
    case K::kBinarySize:
      return section_item(m, map, it);
    default:  // UID, FLAGS, MODSEQ: written first (message())
      break;
  }
  return {};
}

// BODY[...]<partial>, BINARY[...]<partial> and BINARY.SIZE[...]. A BINARY part in an unknown
// encoding is left out of the response (and the command ends NO [UNKNOWN-CTE]).
base::Status Round::section_item(const store::MessageMeta& m, const mime::PartMap* map,
                                 const Att& it) {
  auto src = section_source(m, map, it);
  if (!src) {
    if (src.error().field == "cte") {
      unknown_cte_ = true;
      return {};
    }
    return src.error();
  }
  sep();
  if (it.kind == K::kBinarySize) {
    uint64_t size = src->length;
    if (src->length > kStreamMin) {
      size = PH_TRY(scan_decoded(x_, m.uid, *src)).size;
    } else {
      size = PH_TRY(section_bytes(x_, m, *src, it)).size();
    }
    out_ += fmt::format("BINARY.SIZE[{}] {}", part_prefix(it.section), size);
    return {};
  }
  out_ += it.kind == K::kBinary ? "BINARY[" : "BODY[";
  out_ += it.kind == K::kBinary ? part_prefix(it.section) : section_text(it.section);
  out_ += ']';
  if (it.partial) out_ += fmt::format("<{}>", it.partial->first);
  out_ += ' ';
  return literal(m, *src, it, it.kind == K::kBinary);
}

// A literal: built in memory when small, else its header now and its bytes streamed by the
// caller after the text before it (a Segment with a Stream).
base::Status Round::literal(const store::MessageMeta& m, const Source& src, const Att& it,
                            bool binary) {
  bool big = !src.fields && src.length > kStreamMin;
  if (!big) {
    auto data = PH_TRY(section_bytes(x_, m, src, it));
    std::string_view v = data;
    if (it.partial) {
      v = it.partial->first >= v.size() ? std::string_view()
                                        : v.substr(it.partial->first, it.partial->second);
    }
    if (binary && v.find('\0') != std::string_view::npos) {
      codec::append_literal8(out_, v);
    } else {
      codec::append_literal(out_, v);
    }
    return {};
  }
  Stream st;
  st.uid = m.uid;
  st.src = src;
  uint64_t total = src.length;
  bool nul = false;
  if (src.decode) {
    auto sc = PH_TRY(scan_decoded(x_, m.uid, src));
    total = sc.size;
    nul = binary && sc.nul;
  }
  if (it.partial) {
    uint64_t first = std::min<uint64_t>(it.partial->first, total);
    total = std::min<uint64_t>(total - first, it.partial->second);
    if (src.decode) {
      st.skip = first;
    } else {
      st.src.offset += first;
      st.src.length = total;
    }
  }
  st.size = total;
  out_ += fmt::format("{}{{{}}}\r\n", nul ? "~" : "", total);
  if (total == 0) return {};
  text_bytes_ += out_.size();
  ch_.segs.push_back(Segment{std::move(out_), std::move(st)});
  out_.clear();
  return {};
}

// Writes one round's output, each streamed literal after the text before it; false when the
// session is over (the peer is gone, or a literal could not be completed and the connection
// was closed).
asio::awaitable<bool> write_chunk(Session& s, const Ctx& x, const Chunk& chunk) {
  for (const auto& seg : chunk.segs) {
    s.out_ += seg.text;
    if (!seg.stream) continue;
    if (!co_await s.flush(true)) co_return false;
    if (!co_await send_stream(s, x, *seg.stream)) {
      // The literal was announced and cannot be completed: the stream is out of sync.
      s.state_ = State::kLogout;
      s.conn_->close();
      co_return false;
    }
  }
  co_return true;
}

}  // namespace

PH_IMAP_HANDLER(cmd_fetch) {
  const auto& a = std::get<codec::Fetch>(c.args);
  if (!check_request(s, c, a)) co_return;
  if (a.changed_since) s.condstore_ = true;
  auto uids = s.resolve(a.set, c.uid);
  Ctx x{s.srv_.mail(), s.mailbox_, s.folder_};
  if (a.vanished) co_await report_vanished(s, x, a);

  const Plan plan = make_plan(c, a);
  std::vector<store::Uid> seen_changed;
  if (plan.want_seen && !s.read_only_ && !uids.empty()) {
    seen_changed = co_await mark_seen(s, x, uids);
  }

  bool unknown_cte = false;
  size_t i = 0;
  while (i < uids.size()) {
    auto chunk = co_await s.blocking([&, i]() -> base::Result<Chunk> {
      return Round(s, x, a, plan, seen_changed, unknown_cte).build(uids, i);
    });
    if (!chunk) {
      s.fail(c, chunk.error());
      co_return;
    }
    if (!co_await write_chunk(s, x, *chunk)) co_return;
    i = chunk->next;
    if (!co_await s.flush(false)) co_return;
  }
  if (unknown_cte) {
    s.no(c, "Unknown content-transfer-encoding", "UNKNOWN-CTE");
    co_return;
  }
  s.ok(c, "FETCH completed");
}

}  // namespace posthouse::server::imap
