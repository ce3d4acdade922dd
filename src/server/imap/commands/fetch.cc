#include <fmt/format.h>

#include <algorithm>

#include "mime/header.h"
#include "mime/part_map.h"
#include "server/imap/commands/commands.h"
#include "server/imap/cte.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

namespace {

using Att = codec::FetchAtt;
using K = codec::FetchAtt::Kind;

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

std::string part_prefix(const codec::Section& sec) {
  std::string p;
  for (auto n : sec.part) {
    if (!p.empty()) p += '.';
    p += std::to_string(n);
  }
  return p;
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

struct Ctx {
  store::MailStore& mail;
  store::MailboxId mb;
  store::FolderId folder;
};

// Where the bytes of one BODY[]/BINARY[] item (before <partial>) come from: a byte range of the
// stored message, filtered (HEADER.FIELDS) or decoded (BINARY) on the way out.
struct Source {
  uint64_t offset = 0, length = 0;
  bool fields = false;      // HEADER.FIELDS[.NOT]: filtered in memory (a header)
  std::string encoding;     // BINARY: content-transfer-encoding to decode
  bool decode = false;
};

base::Result<Source> section_source(const store::MessageMeta& m, const mime::PartMap* map,
                                    const Att& a) {
  using T = codec::Section::Text;
  const auto& sec = a.section;
  Source src;
  if (sec.part.empty() && sec.text == T::kNone) {
    src.length = m.size;
  } else if (sec.part.empty() && sec.text == T::kHeader) {
    src.length = std::min(m.header_size, m.size);
  } else {
    if (!map) return base::Error(base::Errc::kInternal, "no part map");
    std::string spec = part_prefix(sec);
    auto with = [&](std::string_view t) {
      return spec.empty() ? std::string(t) : spec + "." + std::string(t);
    };
    switch (sec.text) {
      case T::kNone: break;
      case T::kHeader:
      case T::kHeaderFields:
      case T::kHeaderFieldsNot: spec = with("HEADER"); break;
      case T::kText: spec = with("TEXT"); break;
      case T::kMime: spec = with("MIME"); break;
    }
    auto range = map->resolve(spec);
    if (!range) {
      // RFC 3501: a section that does not exist is returned empty, not an error.
      if (range.error().code == base::Errc::kNotFound) return src;
      return range.error();
    }
    src.offset = range->offset;
    src.length = range->length;
    src.fields = sec.text == T::kHeaderFields || sec.text == T::kHeaderFieldsNot;
  }
  if (!src.fields && (a.kind == K::kBinary || a.kind == K::kBinarySize)) {
    const mime::PartEntry* e = map ? map->find(part_prefix(sec)) : nullptr;
    if (!e && sec.part.empty() && map) e = map->find("");
    src.encoding = e ? e->encoding : "";
    // The root entry of a multipart or a message part is not encoded as a whole.
    if (e && e->is_message && !sec.part.empty()) src.encoding.clear();
    if (!CteDecoder::make(src.encoding)) {
      return base::Error(base::Errc::kInvalid, "unknown encoding", "cte");
    }
    src.decode = true;
  }
  return src;
}

// Raw bytes read per store call while scanning or streaming a large item.
constexpr uint64_t kReadSlice = 64 * 1024;
// Items larger than this are streamed from the store after their literal header instead of
// being built in memory.
constexpr uint64_t kStreamMin = 64 * 1024;

// Decoded size of a BINARY item and whether it holds a NUL (literal8), by reading the part in
// slices: memory stays bounded by kReadSlice whatever the part's size.
struct Scan {
  uint64_t size = 0;
  bool nul = false;
};
base::Result<Scan> scan_decoded(const Ctx& x, store::Uid uid, const Source& src) {
  auto dec = PH_TRY(CteDecoder::make(src.encoding));
  Scan sc;
  std::string out;
  for (uint64_t done = 0; done < src.length;) {
    uint64_t n = std::min(kReadSlice, src.length - done);
    auto raw = PH_TRY(x.mail.read(x.mb, x.folder, uid, src.offset + done, n));
    if (raw.empty()) break;
    done += raw.size();
    out.clear();
    dec.feed(raw, done >= src.length, out);
    sc.size += out.size();
    sc.nul |= out.find('\0') != std::string::npos;
  }
  return sc;
}

// The bytes of an item small enough to build in memory (before <partial>).
base::Result<std::string> section_bytes(const Ctx& x, const store::MessageMeta& m,
                                        const Source& src, const Att& a) {
  if (src.length == 0) return std::string();
  auto data = PH_TRY(x.mail.read(x.mb, x.folder, m.uid, src.offset, src.length));
  if (src.fields) {
    std::vector<std::string> names(a.section.fields.begin(), a.section.fields.end());
    return mime::filter_header_fields(data, names,
                                      a.section.text == codec::Section::Text::kHeaderFieldsNot);
  }
  if (src.decode) return decode_cte(src.encoding, data);
  return data;
}

// A literal whose header is already in the output and whose bytes are sent from the store in
// slices, each written (awaited) before the next is read.
struct Stream {
  store::Uid uid = 0;
  Source src;
  uint64_t skip = 0;  // decoded bytes dropped first (BINARY <partial>)
  uint64_t size = 0;  // the literal's announced size
};

bool needs_structure(const Att& a) {
  switch (a.kind) {
    case K::kEnvelope:
    case K::kBody:
    case K::kBodyStructure:
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

// Sends a Stream's bytes; false when the connection is gone or the message vanished under it
// (the literal cannot be completed: the caller closes the connection).
asio::awaitable<bool> send_stream(Session& s, const Ctx& x, const Stream& st) {
  auto dec = CteDecoder::make(st.src.decode ? st.src.encoding : "");
  if (!dec) co_return false;
  uint64_t raw_done = 0, skip = st.skip, sent = 0;
  std::string out;
  while (sent < st.size) {
    if (raw_done >= st.src.length) co_return false;
    uint64_t n = std::min(kReadSlice, st.src.length - raw_done);
    uint64_t off = st.src.offset + raw_done;
    auto raw = co_await s.blocking([&] { return x.mail.read(x.mb, x.folder, st.uid, off, n); });
    if (!raw || raw->empty()) co_return false;
    raw_done += raw->size();
    out.clear();
    dec->feed(*raw, raw_done >= st.src.length, out);
    std::string_view v = out;
    uint64_t drop = std::min<uint64_t>(skip, v.size());
    v.remove_prefix(drop);
    skip -= drop;
    v = v.substr(0, std::min<uint64_t>(v.size(), st.size - sent));
    if (v.empty()) continue;
    if (!(co_await s.conn_->write(v)).ok()) co_return false;
    sent += v.size();
  }
  co_return true;
}

}  // namespace

PH_IMAP_HANDLER(cmd_fetch) {
  const auto& a = std::get<codec::Fetch>(c.args);
  for (const auto& it : a.items) {
    if (it.kind == K::kSaveDate || it.kind == K::kEmailId || it.kind == K::kThreadId) {
      s.bad(c, "FETCH item not supported");
      co_return;
    }
  }
  if (a.vanished && (!c.uid || !s.qresync_ || !a.changed_since)) {
    s.bad(c, "VANISHED needs UID FETCH, QRESYNC and CHANGEDSINCE");
    co_return;
  }
  if (!c.uid && !a.set.saved) {
    for (const auto& r : a.set.ranges) {
      if (r.first > s.uids_.size() || r.last > s.uids_.size()) {
        s.bad(c, "Invalid message sequence number");
        co_return;
      }
    }
  }
  if (a.changed_since) s.condstore_ = true;
  auto uids = s.resolve(a.set, c.uid);
  auto& mail = s.srv_.mail();
  Ctx x{mail, s.mailbox_, s.folder_};

  if (a.vanished) {
    auto gone = co_await s.blocking([&] { return mail.expunged_since(x.mb, x.folder, *a.changed_since); });
    if (gone) {
      std::vector<store::Uid> v;
      for (auto u : *gone) {
        if (a.set.contains(u, s.uids_.empty() ? store::kMaxUid : s.uids_.back())) v.push_back(u);
      }
      if (!v.empty()) {
        codec::SequenceSet vs;
        for (const auto& r : Session::to_uidset(v)) vs.ranges.push_back({r.first, r.last});
        s.untagged("VANISHED (EARLIER) " + codec::format_sequence_set(vs));
      }
    }
  }

  bool want_seen = false, structure = false, flags_item = false, uid_item = c.uid,
       modseq_item = a.changed_since.has_value();
  for (const auto& it : a.items) {
    want_seen |= sets_seen(it);
    structure |= needs_structure(it);
    flags_item |= it.kind == K::kFlags;
    uid_item |= it.kind == K::kUid;
    modseq_item |= it.kind == K::kModseq;
  }
  std::vector<store::Uid> seen_changed;
  if (want_seen && !s.read_only_ && !uids.empty()) {
    store::Flags seen;
    seen.system = store::kSeen;
    auto set = Session::to_uidset(uids);
    store::ModSeq before = s.known_modseq_;
    auto r = co_await s.blocking([&] {
      return mail.store_flags(x.mb, x.folder, set, store::FlagOp::kAdd, seen, std::nullopt);
    });
    if (r) {
      s.own_change(before, r->highestmodseq);
      for (const auto& u : r->updated) {
        if (u.changed) seen_changed.push_back(u.uid);
      }
    }
  }

  store::FetchOptions fo;
  fo.structure = structure;
  fo.flags_only = !structure && !want_seen;
  for (const auto& it : a.items) {
    if (it.kind == K::kBodySection || it.kind == K::kBinary || it.kind == K::kBinarySize ||
        it.kind == K::kRfc822 || it.kind == K::kRfc822Header || it.kind == K::kRfc822Text) {
      fo.flags_only = false;
    }
  }
  fo.changed_since = a.changed_since;

  bool unknown_cte = false;
  size_t i = 0;
  while (i < uids.size()) {
    auto chunk = co_await s.blocking([&, i]() -> base::Result<Chunk> {
      Chunk ch;
      size_t end = std::min(uids.size(), i + kBatch);
      std::vector<store::Uid> part(uids.begin() + i, uids.begin() + end);
      auto metas = PH_TRY(mail.fetch(x.mb, x.folder, Session::to_uidset(part), fo));
      ch.next = end;
      std::string out;
      size_t text_bytes = 0;
      // A literal: built in memory when small, else its header now and its bytes streamed by
      // the caller after the text before it.
      auto emit = [&](const store::MessageMeta& m, const Source& src, const Att& it,
                      bool binary) -> base::Status {
        bool big = !src.fields && src.length > kStreamMin;
        if (!big) {
          auto data = PH_TRY(section_bytes(x, m, src, it));
          std::string_view v = data;
          if (it.partial) {
            v = it.partial->first >= v.size() ? std::string_view()
                                              : v.substr(it.partial->first, it.partial->second);
          }
          if (binary && v.find('\0') != std::string_view::npos) {
            codec::append_literal8(out, v);
          } else {
            codec::append_literal(out, v);
          }
          return base::Status();
        }
        Stream st;
        st.uid = m.uid;
        st.src = src;
        uint64_t total = src.length;
        bool nul = false;
        if (src.decode) {
          auto sc = PH_TRY(scan_decoded(x, m.uid, src));
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
        out += fmt::format("{}{{{}}}\r\n", nul ? "~" : "", total);
        if (total == 0) return base::Status();
        text_bytes += out.size();
        ch.segs.push_back(Segment{std::move(out), std::move(st)});
        out.clear();
        return base::Status();
      };
      for (size_t k = 0; k < metas.size(); ++k) {
        const auto& m = metas[k];
        uint32_t seq = s.seq_of(m.uid);
        if (seq == 0) continue;
        std::optional<mime::PartMap> map;
        if (structure && !m.part_map.empty()) {
          auto pm = mime::PartMap::parse(m.part_map);
          if (pm) map = std::move(*pm);
        }
        out += fmt::format("* {} FETCH (", seq);
        size_t start = out.size();
        auto sep = [&] {
          if (out.size() > start) out += ' ';
        };
        if (uid_item) {
          sep();
          out += fmt::format("UID {}", m.uid);
        }
        bool seen_now = std::binary_search(seen_changed.begin(), seen_changed.end(), m.uid);
        if (flags_item || seen_now) {
          sep();
          out += "FLAGS ";
          s.append_flags(out, m.flags, m.uid);
        }
        if (modseq_item) {
          sep();
          out += fmt::format("MODSEQ ({})", m.modseq);
        }
        for (const auto& it : a.items) {
          switch (it.kind) {
            case K::kUid:
            case K::kFlags:
            case K::kModseq:
              break;
            case K::kInternalDate:
              sep();
              out += "INTERNALDATE \"" + format_internaldate(m.internaldate) + "\"";
              break;
            case K::kRfc822Size:
              sep();
              out += fmt::format("RFC822.SIZE {}", m.size);
              break;
            case K::kEnvelope:
              sep();
              out += "ENVELOPE " + m.envelope;
              break;
            case K::kBodyStructure:
              sep();
              out += "BODYSTRUCTURE " + m.bodystructure;
              break;
            case K::kBody:
              sep();
              out += "BODY " + m.body;
              break;
            case K::kRfc822:
            case K::kRfc822Header:
            case K::kRfc822Text: {
              Source src;
              src.offset = it.kind == K::kRfc822Text ? std::min(m.size, m.header_size) : 0;
              src.length = it.kind == K::kRfc822Header ? std::min(m.size, m.header_size)
                                                       : m.size - src.offset;
              sep();
              out += it.kind == K::kRfc822       ? "RFC822 "
                     : it.kind == K::kRfc822Header ? "RFC822.HEADER "
                                                   : "RFC822.TEXT ";
              PH_TRY(emit(m, src, it, false));
              break;
            }
            case K::kBodySection:
            case K::kBinary:
            case K::kBinarySize: {
              auto src = section_source(m, map ? &*map : nullptr, it);
              if (!src) {
                if (src.error().field == "cte") {
                  unknown_cte = true;
                  continue;
                }
                return src.error();
              }
              sep();
              if (it.kind == K::kBinarySize) {
                uint64_t size = src->length;
                if (src->length > kStreamMin) {
                  size = PH_TRY(scan_decoded(x, m.uid, *src)).size;
                } else {
                  size = PH_TRY(section_bytes(x, m, *src, it)).size();
                }
                out += fmt::format("BINARY.SIZE[{}] {}", part_prefix(it.section), size);
                break;
              }
              out += it.kind == K::kBinary ? "BINARY[" : "BODY[";
              out += it.kind == K::kBinary ? part_prefix(it.section) : section_text(it.section);
              out += ']';
              if (it.partial) out += fmt::format("<{}>", it.partial->first);
              out += ' ';
              PH_TRY(emit(m, *src, it, it.kind == K::kBinary));
              break;
            }
            default:
              break;
          }
        }
        out += ")\r\n";
        if (text_bytes + out.size() >= kSliceBytes) {
          // Resume after this message next round.
          auto pos = std::find(uids.begin() + i, uids.end(), m.uid);
          ch.next = static_cast<size_t>(pos - uids.begin()) + 1;
          break;
        }
      }
      ch.segs.push_back(Segment{std::move(out), std::nullopt});
      return ch;
    });
    if (!chunk) {
      s.fail(c, chunk.error());
      co_return;
    }
    for (auto& seg : chunk->segs) {
      s.out_ += seg.text;
      if (!seg.stream) continue;
      if (!co_await s.flush(true)) co_return;
      if (!co_await send_stream(s, x, *seg.stream)) {
        // The literal was announced and cannot be completed: the stream is out of sync.
        s.state_ = State::kLogout;
        s.conn_->close();
        co_return;
      }
    }
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
