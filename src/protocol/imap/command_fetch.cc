// FETCH (RFC 3501 6.4.5, 9051 6.4.5): attributes, body sections and partials, BINARY (RFC
// 3516), the ALL/FAST/FULL macros and the CONDSTORE/QRESYNC modifiers (RFC 7162).
#include <algorithm>
#include <cstdint>
#include <utility>

#include "base/strings.h"
#include "protocol/imap/command_parser.h"
#include "protocol/text.h"

namespace posthouse::imap::detail {

R<Section> Parser::section(bool binary) {
  Section s;
  PH_CHECK(expect('['));
  if (accept(']')) return s;
  while (peek() >= '0' && peek() <= '9') {
    s.part.push_back(PH_TRY(number32(true)));
    if (s.part.size() > 64) return bad("Section too deep");
    if (!accept('.')) break;
    if (!(peek() >= '0' && peek() <= '9')) break;
  }
  if (accept(']')) {
    if (!s.part.empty() && b_[pos_ - 2] == '.') return bad("Invalid section");
    return s;
  }
  if (binary) return bad("Invalid binary section");
  if (!s.part.empty() && b_[pos_ - 1] != '.') return bad("Invalid section");
  std::string_view w = peek_word();
  skip(w.size());
  if (base::iequals(w, "HEADER.FIELDS.NOT")) {
    s.text = Section::Text::kHeaderFieldsNot;
  } else if (base::iequals(w, "HEADER.FIELDS")) {
    s.text = Section::Text::kHeaderFields;
  } else if (base::iequals(w, "HEADER")) {
    s.text = Section::Text::kHeader;
  } else if (base::iequals(w, "TEXT")) {
    s.text = Section::Text::kText;
  } else if (!s.part.empty() && base::iequals(w, "MIME")) {
    s.text = Section::Text::kMime;
  } else {
    return bad("Invalid section");
  }
  if (s.text == Section::Text::kHeaderFields || s.text == Section::Text::kHeaderFieldsNot) {
    PH_CHECK(sp());
    PH_CHECK(list(false, [&]() -> base::Status {
      s.fields.push_back(PH_TRY(astring()));
      return {};
    }));
  }
  PH_CHECK(expect(']'));
  return s;
}

namespace {

struct FetchName {
  std::string_view name;
  FetchAtt::Kind kind;
};
constexpr FetchName kSimpleFetch[] = {
    {"ENVELOPE", FetchAtt::Kind::kEnvelope},
    {"FLAGS", FetchAtt::Kind::kFlags},
    {"INTERNALDATE", FetchAtt::Kind::kInternalDate},
    {"RFC822.HEADER", FetchAtt::Kind::kRfc822Header},
    {"RFC822.SIZE", FetchAtt::Kind::kRfc822Size},
    {"RFC822.TEXT", FetchAtt::Kind::kRfc822Text},
    {"RFC822", FetchAtt::Kind::kRfc822},
    {"BODYSTRUCTURE", FetchAtt::Kind::kBodyStructure},
    {"BODY", FetchAtt::Kind::kBody},
    {"UID", FetchAtt::Kind::kUid},
    {"MODSEQ", FetchAtt::Kind::kModseq},
    {"SAVEDATE", FetchAtt::Kind::kSaveDate},
    {"EMAILID", FetchAtt::Kind::kEmailId},
    {"THREADID", FetchAtt::Kind::kThreadId},
    {"PREVIEW", FetchAtt::Kind::kPreview},
};

}  // namespace

R<FetchAtt> Parser::fetch_att() {
  PH_CHECK(count_arg());
  std::string_view name = peek_word();
  skip(name.size());
  FetchAtt a;
  if (peek() != '[') {
    if (!eof() && peek() != ' ' && peek() != ')') return bad("Invalid fetch attribute");
    const auto* e = protocol::find_keyword(kSimpleFetch, name);
    if (!e) return bad("Unknown fetch attribute");
    a.kind = e->kind;
    // PREVIEW (LAZY) (RFC 8970 3.1): the only preview modifier; anything else after a space is
    // the next item or the fetch modifiers.
    if (a.kind == FetchAtt::Kind::kPreview && pos_ + 2 < n_ && b_[pos_] == ' ' &&
        b_[pos_ + 1] == '(' && base::iequals(std::string_view(b_ + pos_ + 2, std::min<size_t>(4, n_ - pos_ - 2)), "LAZY")) {
      skip(1);
      PH_CHECK(list(false, [&]() -> base::Status {
        std::string_view m = PH_TRY(atom());
        if (!base::iequals(m, "LAZY") || a.peek) return bad("Invalid preview modifier");
        a.peek = true;
        return {};
      }));
    }
    return a;
  }
  bool binary = false;
  if (base::iequals(name, "BODY") || base::iequals(name, "BODY.PEEK")) {
    a.kind = FetchAtt::Kind::kBodySection;
    a.peek = name.size() > 4;
  } else if (base::iequals(name, "BINARY") || base::iequals(name, "BINARY.PEEK")) {
    a.kind = FetchAtt::Kind::kBinary;
    a.peek = name.size() > 6;
    binary = true;
  } else if (base::iequals(name, "BINARY.SIZE")) {
    a.kind = FetchAtt::Kind::kBinarySize;
    binary = true;
  } else {
    return bad("Unknown fetch attribute");
  }
  a.section = PH_TRY(section(binary));
  if (a.kind != FetchAtt::Kind::kBinarySize && accept('<')) {
    uint32_t off = PH_TRY(number32());
    PH_CHECK(expect('.'));
    uint32_t cnt = PH_TRY(number32(true));
    PH_CHECK(expect('>'));
    a.partial.emplace(off, cnt);
  }
  if (!eof() && peek() != ' ' && peek() != ')') return bad("Invalid fetch attribute");
  return a;
}

namespace {

void expand_macro(std::string_view m, std::vector<FetchAtt>& out) {
  using FK = FetchAtt::Kind;
  auto add = [&](FK k) {
    FetchAtt a;
    a.kind = k;
    out.push_back(a);
  };
  add(FK::kFlags);
  add(FK::kInternalDate);
  add(FK::kRfc822Size);
  if (!base::iequals(m, "FAST")) add(FK::kEnvelope);
  if (base::iequals(m, "FULL")) add(FK::kBody);
}

}  // namespace

R<Fetch> parse_fetch(Parser& p, bool uid) {
  Fetch f;
  PH_CHECK(p.sp());
  f.set = PH_TRY(p.seqset());
  PH_CHECK(p.sp());
  std::string_view w = p.peek_word();
  if (base::iequals(w, "ALL") || base::iequals(w, "FAST") || base::iequals(w, "FULL")) {
    p.skip(w.size());
    expand_macro(w, f.items);
  } else if (p.peek() == '(') {
    PH_CHECK(p.list(false, [&]() -> base::Status {
      f.items.push_back(PH_TRY(p.fetch_att()));
      return {};
    }));
  } else {
    f.items.push_back(PH_TRY(p.fetch_att()));
  }
  if (p.accept(' ')) {
    // fetch-modifiers (RFC 7162): "(" CHANGEDSINCE n [SP VANISHED] ")"
    PH_CHECK(p.list(false, [&]() -> base::Status {
      std::string_view m = PH_TRY(p.atom());
      if (base::iequals(m, "CHANGEDSINCE") && !f.changed_since) {
        PH_CHECK(p.sp());
        f.changed_since = PH_TRY(p.modseq(false));
      } else if (base::iequals(m, "VANISHED") && uid && !f.vanished) {
        f.vanished = true;
      } else {
        return bad("Invalid fetch modifier");
      }
      return {};
    }));
    if (f.vanished && !f.changed_since) return bad("VANISHED requires CHANGEDSINCE");
  }
  PH_CHECK(p.end());
  return f;
}

}  // namespace posthouse::imap::detail
