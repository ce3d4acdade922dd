#include "server/imap/fetch_body.h"

#include <algorithm>
#include <vector>

#include "mime/header.h"
#include "mime/cte.h"
#include "mime/preview.h"
#include "server/imap/session.h"

namespace posthouse::server::imap::fetch {

namespace {
using Att = codec::FetchAtt;
using K = codec::FetchAtt::Kind;
}  // namespace

std::string part_prefix(const codec::Section& sec) {
  std::string p;
  for (auto n : sec.part) {
    if (!p.empty()) p += '.';
    p += std::to_string(n);
  }
  return p;
}

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
    if (!mime::CteDecoder::make(src.encoding)) {
      return base::Error(base::Errc::kInvalid, "unknown encoding", "cte");
    }
    src.decode = true;
  }
  return src;
}

base::Result<Scan> scan_decoded(const Ctx& x, store::Uid uid, const Source& src) {
  auto dec = PH_TRY(mime::CteDecoder::make(src.encoding));
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
  if (src.decode) return mime::decode_cte(src.encoding, data);
  return data;
}

asio::awaitable<bool> send_stream(Session& s, const Ctx& x, const Stream& st) {
  auto dec = mime::CteDecoder::make(st.src.decode ? st.src.encoding : "");
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

base::Result<std::string> preview_text(const Ctx& x, const store::MessageMeta& m,
                                       const mime::PartMap* map) {
  if (map == nullptr) return std::string();
  const mime::PartEntry* part = mime::preview_part(*map);
  if (part == nullptr) return std::string();
  uint64_t n = std::min<uint64_t>(part->body.length, mime::kPreviewRead);
  auto data = PH_TRY(x.mail.read(x.mb, x.folder, m.uid, part->body.offset, n));
  return mime::make_preview(*part, data);
}


}  // namespace posthouse::server::imap::fetch
