// SEARCH keys (RFC 3501 6.4.4, 9051 6.4.4, 7162 MODSEQ, 5032 WITHIN, 8514
// SAVEDATE, 8474 EMAILID/THREADID), ESEARCH RETURN options
// (RFC 4731/5182), and the commands built on them: SEARCH, SORT and THREAD (RFC 5256).
#include <cctype>
#include <cstdint>

#include "base/strings.h"
#include "protocol/imap/command_parser.h"
#include "protocol/text.h"

namespace posthouse::imap::detail {

using base::Errc;
using base::make_error;

namespace {

using K = SearchKey::Kind;

struct KeyName {
  std::string_view name;
  K kind;
};
constexpr KeyName kFlagKeys[] = {
    {"ALL", K::kAll},
    {"ANSWERED", K::kAnswered},
    {"DELETED", K::kDeleted},
    {"DRAFT", K::kDraft},
    {"FLAGGED", K::kFlagged},
    {"NEW", K::kNew},
    {"OLD", K::kOld},
    {"RECENT", K::kRecent},
    {"SEEN", K::kSeen},
    {"UNANSWERED", K::kUnanswered},
    {"UNDELETED", K::kUndeleted},
    {"UNDRAFT", K::kUndraft},
    {"UNFLAGGED", K::kUnflagged},
    {"UNSEEN", K::kUnseen},
    {"SAVEDATESUPPORTED", K::kSaveDateSupported},
};
constexpr KeyName kTextKeys[] = {
    {"BCC", K::kBcc},         {"BODY", K::kBody}, {"CC", K::kCc}, {"FROM", K::kFrom},
    {"SUBJECT", K::kSubject}, {"TEXT", K::kText}, {"TO", K::kTo},
};
constexpr KeyName kDateKeys[] = {
    {"BEFORE", K::kBefore},         {"ON", K::kOn},         {"SINCE", K::kSince},
    {"SENTBEFORE", K::kSentBefore}, {"SENTON", K::kSentOn}, {"SENTSINCE", K::kSentSince},
    {"SAVEDBEFORE", K::kSavedBefore}, {"SAVEDON", K::kSavedOn}, {"SAVEDSINCE", K::kSavedSince},
};
constexpr KeyName kNumberKeys[] = {
    {"LARGER", K::kLarger},
    {"SMALLER", K::kSmaller},
    {"OLDER", K::kOlder},
    {"YOUNGER", K::kYounger},
};

}  // namespace

R<SearchKey> Parser::search_key() {
  PH_CHECK(count_arg());
  SearchKey k;
  char c = peek();
  if (c == '(') {
    k.kind = K::kAnd;
    PH_CHECK(list(false, [&]() -> base::Status {
      k.children.push_back(PH_TRY(search_key()));
      return {};
    }));
    return k;
  }
  if ((c >= '0' && c <= '9') || c == '*' || c == '$') {
    k.kind = K::kSequence;
    k.set = PH_TRY(seqset());
    return k;
  }
  std::string_view w = peek_word();
  if (w.empty() ||
      (pos_ + w.size() < n_ && is_atom_char(static_cast<unsigned char>(b_[pos_ + w.size()]))))
    return bad("Unknown search key");
  skip(w.size());
  if (const KeyName* e = protocol::find_keyword(kFlagKeys, w)) {
    k.kind = e->kind;
    return k;
  }
  if (const KeyName* e = protocol::find_keyword(kTextKeys, w)) {
    k.kind = e->kind;
    PH_CHECK(sp());
    k.text = PH_TRY(astring());
    return k;
  }
  if (const KeyName* e = protocol::find_keyword(kDateKeys, w)) {
    k.kind = e->kind;
    PH_CHECK(sp());
    k.date = PH_TRY(date());
    return k;
  }
  if (const KeyName* e = protocol::find_keyword(kNumberKeys, w)) {
    k.kind = e->kind;
    PH_CHECK(sp());
    bool nz = k.kind == K::kOlder || k.kind == K::kYounger;
    k.number = PH_TRY(number64(nz));
    return k;
  }
  if (base::iequals(w, "EMAILID") || base::iequals(w, "THREADID")) {
    // RFC 8474 7: objectid = 1*255(ALPHA / DIGIT / "_" / "-")
    k.kind = w.size() == 7 ? K::kEmailId : K::kThreadId;
    PH_CHECK(sp());
    k.text = PH_TRY(atom());
    if (k.text.size() > 255) return bad("Invalid object id");
    for (char ch : k.text) {
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-')
        return bad("Invalid object id");
    }
    return k;
  }
  if (base::iequals(w, "KEYWORD") || base::iequals(w, "UNKEYWORD")) {
    k.kind = w.size() == 7 ? K::kKeyword : K::kUnkeyword;
    PH_CHECK(sp());
    k.text = PH_TRY(atom());
    return k;
  }
  if (base::iequals(w, "HEADER")) {
    k.kind = K::kHeader;
    PH_CHECK(sp());
    k.header = PH_TRY(astring());
    PH_CHECK(sp());
    k.text = PH_TRY(astring());
    return k;
  }
  if (base::iequals(w, "UID")) {
    k.kind = K::kUid;
    PH_CHECK(sp());
    k.set = PH_TRY(seqset());
    return k;
  }
  if (base::iequals(w, "NOT") || base::iequals(w, "OR")) {
    k.kind = w.size() == 3 ? K::kNot : K::kOr;
    if (++depth_ > limits_.max_depth)
      return make_error(Errc::kLimit, "Too deeply nested", "syntax");
    PH_CHECK(sp());
    k.children.push_back(PH_TRY(search_key()));
    if (k.kind == K::kOr) {
      PH_CHECK(sp());
      k.children.push_back(PH_TRY(search_key()));
    }
    --depth_;
    return k;
  }
  if (base::iequals(w, "MODSEQ")) {
    k.kind = K::kModseq;
    PH_CHECK(sp());
    if (peek() == '"') {
      // entry-name SP entry-type-req (RFC 7162): name kept in `header`, type in `text`.
      Str name = PH_TRY(quoted());
      k.header = name.value;
      PH_CHECK(sp());
      std::string_view type = PH_TRY(atom());
      if (!base::iequals(type, "all") && !base::iequals(type, "shared") &&
          !base::iequals(type, "priv"))
        return bad("Invalid MODSEQ entry type");
      k.text = type;
      PH_CHECK(sp());
    }
    k.number = PH_TRY(modseq(true));
    return k;
  }
  return bad("Unknown search key");
}

R<SearchKey> Parser::search_keys() {
  SearchKey top;
  top.kind = K::kAnd;
  while (true) {
    top.children.push_back(PH_TRY(search_key()));
    if (eof()) break;
    PH_CHECK(sp());
  }
  return top;
}

base::Status Parser::search_return(SearchReturn& r) {
  bool any = false;
  PH_CHECK(list(true, [&]() -> base::Status {
    any = true;
    std::string_view w = PH_TRY(atom());
    if (base::iequals(w, "MIN")) {
      r.min = true;
    } else if (base::iequals(w, "MAX")) {
      r.max = true;
    } else if (base::iequals(w, "ALL")) {
      r.all = true;
    } else if (base::iequals(w, "COUNT")) {
      r.count = true;
    } else if (base::iequals(w, "SAVE")) {
      r.save = true;
    } else {
      return bad("Unknown search return option");
    }
    return {};
  }));
  if (!any) r.all = true;  // "RETURN ()" means RETURN (ALL), RFC 4731 3.1
  return {};
}

namespace {

// Optional "RETURN (...) SP", shared by SEARCH and SORT.
base::Status parse_return(Parser& p, SearchReturn& r) {
  if (!base::iequals(p.peek_word(), "RETURN")) return {};
  p.skip(6);
  r.esearch = true;
  PH_CHECK(p.sp());
  PH_CHECK(p.search_return(r));
  PH_CHECK(p.sp());
  return {};
}

struct SortName {
  std::string_view name;
  SortCriterion::Key key;
};
constexpr SortName kSortKeys[] = {
    {"ARRIVAL", SortCriterion::Key::kArrival},
    {"CC", SortCriterion::Key::kCc},
    {"DATE", SortCriterion::Key::kDate},
    {"FROM", SortCriterion::Key::kFrom},
    {"SIZE", SortCriterion::Key::kSize},
    {"SUBJECT", SortCriterion::Key::kSubject},
    {"TO", SortCriterion::Key::kTo},
    {"DISPLAYFROM", SortCriterion::Key::kDisplayFrom},
    {"DISPLAYTO", SortCriterion::Key::kDisplayTo},
};

}  // namespace

R<Search> parse_search(Parser& p) {
  Search s;
  PH_CHECK(p.sp());
  PH_CHECK(parse_return(p, s.ret));
  if (base::iequals(p.peek_word(), "CHARSET")) {
    p.skip(7);
    PH_CHECK(p.sp());
    s.charset = PH_TRY(p.astring());
    PH_CHECK(p.sp());
  }
  s.key = PH_TRY(p.search_keys());
  return s;
}

R<Sort> parse_sort(Parser& p) {
  Sort s;
  PH_CHECK(p.sp());
  PH_CHECK(parse_return(p, s.ret));
  PH_CHECK(p.list(false, [&]() -> base::Status {
    SortCriterion c;
    std::string_view w = PH_TRY(p.atom());
    if (base::iequals(w, "REVERSE")) {
      c.reverse = true;
      PH_CHECK(p.sp());
      w = PH_TRY(p.atom());
    }
    const auto* e = protocol::find_keyword(kSortKeys, w);
    if (!e) return bad("Unknown sort criterion");
    c.key = e->key;
    s.criteria.push_back(c);
    return {};
  }));
  PH_CHECK(p.sp());
  s.charset = PH_TRY(p.astring());
  PH_CHECK(p.sp());
  s.key = PH_TRY(p.search_keys());
  return s;
}

R<Thread> parse_thread(Parser& p) {
  Thread t;
  PH_CHECK(p.sp());
  std::string_view alg = PH_TRY(p.atom());
  if (base::iequals(alg, "REFERENCES")) {
    t.algorithm = Thread::Algorithm::kReferences;
  } else if (base::iequals(alg, "ORDEREDSUBJECT")) {
    t.algorithm = Thread::Algorithm::kOrderedSubject;
  } else {
    return bad("Unknown THREAD algorithm");
  }
  PH_CHECK(p.sp());
  t.charset = PH_TRY(p.astring());
  PH_CHECK(p.sp());
  t.key = PH_TRY(p.search_keys());
  return t;
}

}  // namespace posthouse::imap::detail
