#include "protocol/imap/command.h"

#include <cctype>
#include <cstring>

#include "base/strings.h"
#include "protocol/text.h"

namespace posthouse::imap {

using base::Errc;
using base::make_error;

namespace {

template <class T>
using R = base::Result<T>;

base::Error bad(std::string m) { return make_error(Errc::kInvalid, std::move(m), "syntax"); }

bool is_ctl(unsigned char c) { return c < 0x20 || c == 0x7F; }

// ATOM-CHAR (RFC 3501 9): any CHAR except atom-specials.
bool is_atom_char(unsigned char c) {
  if (c >= 0x80 || is_ctl(c)) return false;
  switch (c) {
    case '(':
    case ')':
    case '{':
    case ' ':
    case '%':
    case '*':
    case '"':
    case '\\':
    case ']':
      return false;
    default:
      return true;
  }
}

constexpr struct {
  std::string_view name;
  CommandKind kind;
} kCommands[] = {
    {"CAPABILITY", CommandKind::kCapability},
    {"NOOP", CommandKind::kNoop},
    {"LOGOUT", CommandKind::kLogout},
    {"STARTTLS", CommandKind::kStartTls},
    {"AUTHENTICATE", CommandKind::kAuthenticate},
    {"LOGIN", CommandKind::kLogin},
    {"ENABLE", CommandKind::kEnable},
    {"SELECT", CommandKind::kSelect},
    {"EXAMINE", CommandKind::kExamine},
    {"CREATE", CommandKind::kCreate},
    {"DELETE", CommandKind::kDelete},
    {"RENAME", CommandKind::kRename},
    {"SUBSCRIBE", CommandKind::kSubscribe},
    {"UNSUBSCRIBE", CommandKind::kUnsubscribe},
    {"LIST", CommandKind::kList},
    {"LSUB", CommandKind::kLsub},
    {"NAMESPACE", CommandKind::kNamespace},
    {"STATUS", CommandKind::kStatus},
    {"APPEND", CommandKind::kAppend},
    {"IDLE", CommandKind::kIdle},
    {"CHECK", CommandKind::kCheck},
    {"CLOSE", CommandKind::kClose},
    {"UNSELECT", CommandKind::kUnselect},
    {"EXPUNGE", CommandKind::kExpunge},
    {"SEARCH", CommandKind::kSearch},
    {"FETCH", CommandKind::kFetch},
    {"STORE", CommandKind::kStore},
    {"COPY", CommandKind::kCopy},
    {"MOVE", CommandKind::kMove},
    {"ID", CommandKind::kId},
    {"GETQUOTA", CommandKind::kGetQuota},
    {"GETQUOTAROOT", CommandKind::kGetQuotaRoot},
    {"SETQUOTA", CommandKind::kSetQuota},
    {"SORT", CommandKind::kSort},
    {"THREAD", CommandKind::kThread},
};

// Recursive-descent parser over the reader's buffer. Quoted strings are unescaped in place
// (the unescaped form is never longer), so no token allocates.
class Parser {
 public:
  Parser(std::string& buf, const ParseLimits& limits)
      : b_(buf.data()), n_(buf.size()), limits_(limits) {}

  bool eof() const { return pos_ >= n_; }
  char peek() const { return pos_ < n_ ? b_[pos_] : '\0'; }
  size_t pos() const { return pos_; }

  bool accept(char c) {
    if (pos_ < n_ && b_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  base::Status expect(char c) {
    if (accept(c)) return {};
    if (eof()) return bad(std::string("Missing '") + c + "'");
    return bad(std::string("Expected '") + c + "'");
  }
  base::Status sp() { return expect(' '); }
  base::Status end() {
    if (!eof()) return bad("Unexpected characters at end of command");
    return {};
  }

  base::Status count_arg() {
    if (++args_ > limits_.max_args) return make_error(Errc::kLimit, "Too many arguments", "syntax");
    return {};
  }
  base::Status open() {
    PH_CHECK(expect('('));
    if (++depth_ > limits_.max_depth)
      return make_error(Errc::kLimit, "Too deeply nested", "syntax");
    return {};
  }
  base::Status close() {
    PH_CHECK(expect(')'));
    --depth_;
    return {};
  }

  // Run of characters accepted by `pred`; at least one.
  template <class Pred>
  R<std::string_view> run(Pred pred, const char* what) {
    size_t start = pos_;
    while (pos_ < n_ && pred(static_cast<unsigned char>(b_[pos_]))) ++pos_;
    if (pos_ == start) return bad(std::string("Expected ") + what);
    PH_CHECK(count_arg());
    return std::string_view(b_ + start, pos_ - start);
  }

  R<std::string_view> atom() { return run(is_atom_char, "atom"); }

  // The next keyword-like token (letters, digits, '.', '-') without consuming it.
  std::string_view peek_word() const {
    size_t e = pos_;
    while (e < n_ &&
           (std::isalnum(static_cast<unsigned char>(b_[e])) || b_[e] == '.' || b_[e] == '-'))
      ++e;
    return std::string_view(b_ + pos_, e - pos_);
  }
  void skip(size_t k) { pos_ += k; }

  // True if the next token is the keyword `w` (case-insensitive) followed by a delimiter.
  bool accept_word(std::string_view w) {
    if (n_ - pos_ < w.size() || !base::iequals(std::string_view(b_ + pos_, w.size()), w))
      return false;
    size_t after = pos_ + w.size();
    if (after < n_ && is_atom_char(static_cast<unsigned char>(b_[after]))) return false;
    pos_ = after;
    return true;
  }

  R<Str> quoted() {
    PH_CHECK(expect('"'));
    size_t start = pos_, w = pos_;
    bool high = false;
    while (true) {
      if (pos_ >= n_) return bad("Unterminated quoted string");
      char c = b_[pos_++];
      if (c == '"') break;
      if (c == '\\') {
        if (pos_ >= n_ || (b_[pos_] != '"' && b_[pos_] != '\\'))
          return bad("Invalid escape in quoted string");
        c = b_[pos_++];
      } else if (c == '\r' || c == '\n' || c == '\0') {
        return bad("Invalid character in quoted string");
      } else if (static_cast<unsigned char>(c) >= 0x80) {
        high = true;
      }
      b_[w++] = c;
    }
    std::string_view v(b_ + start, w - start);
    if (high && !protocol::valid_utf8(v)) return bad("Quoted string is not valid UTF-8");
    PH_CHECK(count_arg());
    return Str{v, false};
  }

  R<Str> literal() {
    bool l8 = accept('~');
    PH_CHECK(expect('{'));
    uint64_t size = 0;
    size_t digits = 0;
    while (pos_ < n_ && b_[pos_] >= '0' && b_[pos_] <= '9' && digits < 11) {
      size = size * 10 + (b_[pos_++] - '0');
      ++digits;
    }
    if (digits == 0) return bad("Invalid literal");
    accept('+');
    PH_CHECK(expect('}'));
    if (n_ - pos_ < 2 || b_[pos_] != '\r' || b_[pos_ + 1] != '\n') return bad("Invalid literal");
    pos_ += 2;
    if (size > n_ - pos_) return bad("Truncated literal");
    std::string_view v(b_ + pos_, size);
    pos_ += size;
    if (!l8 && std::memchr(v.data(), '\0', v.size())) return bad("NUL in literal; use a literal8");
    PH_CHECK(count_arg());
    return Str{v, l8};
  }

  R<Str> string() {
    if (peek() == '"') return quoted();
    if (peek() == '{' || peek() == '~') return literal();
    return bad("Expected string");
  }

  // astring: ASTRING-CHAR (atom chars plus ']') or string.
  R<std::string_view> astring() {
    if (peek() == '"' || peek() == '{' || peek() == '~') {
      Str s = PH_TRY(string());
      if (s.literal8) return bad("literal8 not allowed here");
      return s.value;
    }
    return run([](unsigned char c) { return is_atom_char(c) || c == ']'; }, "astring");
  }

  R<std::optional<std::string_view>> nstring() {
    if (accept_word("NIL")) return std::optional<std::string_view>();
    Str s = PH_TRY(string());
    return std::optional<std::string_view>(s.value);
  }

  // list-mailbox: list-chars (atom chars, wildcards, ']') or string.
  R<std::string_view> list_mailbox() {
    if (peek() == '"' || peek() == '{') return astring();
    return run([](unsigned char c) { return is_atom_char(c) || c == '%' || c == '*' || c == ']'; },
               "mailbox pattern");
  }

  R<std::string_view> mailbox() { return astring(); }

  R<uint64_t> number64(bool nz = false) {
    size_t start = pos_;
    uint64_t v = 0;
    while (pos_ < n_ && b_[pos_] >= '0' && b_[pos_] <= '9') {
      if (pos_ - start >= 20) return bad("Number too large");
      uint64_t d = b_[pos_] - '0';
      if (v > (UINT64_MAX - d) / 10) return bad("Number too large");
      v = v * 10 + d;
      ++pos_;
    }
    if (pos_ == start) return bad("Expected number");
    if (nz && v == 0) return bad("Expected non-zero number");
    PH_CHECK(count_arg());
    return v;
  }
  R<uint32_t> number32(bool nz = false) {
    uint64_t v = PH_TRY(number64(nz));
    if (v > 0xFFFFFFFFull) return bad("Number too large");
    return static_cast<uint32_t>(v);
  }
  // mod-sequence-value: 1..2^63-1 (RFC 7162).
  R<uint64_t> modseq(bool allow_zero) {
    uint64_t v = PH_TRY(number64(!allow_zero));
    if (v > 0x7FFFFFFFFFFFFFFFull) return bad("Invalid mod-sequence");
    return v;
  }

  R<SequenceSet> seqset() {
    auto tok = PH_TRY(run(
        [](unsigned char c) {
          return (c >= '0' && c <= '9') || c == ':' || c == ',' || c == '*' || c == '$';
        },
        "sequence set"));
    if (pos_ < n_ && is_atom_char(static_cast<unsigned char>(b_[pos_])))
      return bad("Invalid sequence set");
    return parse_sequence_set(tok, limits_.max_args);
  }

  // flag: "\" atom (system flag or extension) or keyword atom.
  R<std::string_view> flag() {
    size_t start = pos_;
    accept('\\');
    size_t body = pos_;
    while (pos_ < n_ && is_atom_char(static_cast<unsigned char>(b_[pos_]))) ++pos_;
    if (pos_ == body) return bad("Invalid flag");
    PH_CHECK(count_arg());
    return std::string_view(b_ + start, pos_ - start);
  }

  // "(" item *(SP item) ")": `each` parses one item (returns base::Status). Every list goes
  // through here, so nesting depth is bounded in one place.
  template <class F>
  base::Status list(bool allow_empty, F&& each) {
    PH_CHECK(open());
    if (accept(')')) {
      --depth_;
      if (!allow_empty) return bad("Empty list");
      return {};
    }
    while (true) {
      PH_CHECK(each());
      if (accept(')')) break;
      PH_CHECK(sp());
    }
    --depth_;
    return {};
  }

  R<std::vector<std::string_view>> flag_list() {
    std::vector<std::string_view> out;
    PH_CHECK(list(true, [&]() -> base::Status {
      out.push_back(PH_TRY(flag()));
      return {};
    }));
    return out;
  }

  R<std::vector<std::string_view>> atom_list(bool allow_empty) {
    std::vector<std::string_view> out;
    PH_CHECK(list(allow_empty, [&]() -> base::Status {
      out.push_back(PH_TRY(atom()));
      return {};
    }));
    return out;
  }

  R<Date> date() {
    std::string_view s = PH_TRY(astring());
    return parse_date(s);
  }

  R<SearchKey> search_key();
  R<SearchKey> search_keys();  // 1*(SP search-key) after the caller consumed nothing
  base::Status search_return(SearchReturn& r);
  R<Section> section(bool binary);
  R<FetchAtt> fetch_att();

  const ParseLimits& limits() const { return limits_; }

 private:
  char* b_;
  size_t n_;
  size_t pos_ = 0;
  size_t depth_ = 0;
  size_t args_ = 0;
  const ParseLimits& limits_;
};

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
};
constexpr KeyName kTextKeys[] = {
    {"BCC", K::kBcc},         {"BODY", K::kBody}, {"CC", K::kCc}, {"FROM", K::kFrom},
    {"SUBJECT", K::kSubject}, {"TEXT", K::kText}, {"TO", K::kTo},
};
constexpr KeyName kDateKeys[] = {
    {"BEFORE", K::kBefore},         {"ON", K::kOn},         {"SINCE", K::kSince},
    {"SENTBEFORE", K::kSentBefore}, {"SENTON", K::kSentOn}, {"SENTSINCE", K::kSentSince},
};
constexpr KeyName kNumberKeys[] = {
    {"LARGER", K::kLarger},
    {"SMALLER", K::kSmaller},
    {"OLDER", K::kOlder},
    {"YOUNGER", K::kYounger},
};

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
};

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

R<Store> parse_store(Parser& p) {
  Store s;
  PH_CHECK(p.sp());
  s.set = PH_TRY(p.seqset());
  PH_CHECK(p.sp());
  if (p.peek() == '(') {
    PH_CHECK(p.open());
    std::string_view m = PH_TRY(p.atom());
    if (!base::iequals(m, "UNCHANGEDSINCE")) return bad("Invalid store modifier");
    PH_CHECK(p.sp());
    s.unchanged_since = PH_TRY(p.modseq(true));
    PH_CHECK(p.close());
    PH_CHECK(p.sp());
  }
  if (p.accept('+')) {
    s.mode = Store::Mode::kAdd;
  } else if (p.accept('-')) {
    s.mode = Store::Mode::kRemove;
  }
  std::string_view w = p.peek_word();
  if (base::iequals(w, "FLAGS.SILENT")) {
    s.silent = true;
  } else if (!base::iequals(w, "FLAGS")) {
    return bad("Expected FLAGS");
  }
  p.skip(w.size());
  PH_CHECK(p.sp());
  if (p.peek() == '(') {
    s.flags = PH_TRY(p.flag_list());
  } else {
    while (true) {
      s.flags.push_back(PH_TRY(p.flag()));
      if (p.eof()) break;
      PH_CHECK(p.sp());
    }
  }
  PH_CHECK(p.end());
  return s;
}

// status-att list (RFC 3501/9051, 7162 HIGHESTMODSEQ, 7889 APPENDLIMIT, 8474 MAILBOXID).
R<std::vector<std::string_view>> status_items(Parser& p) {
  static constexpr std::string_view kItems[] = {
      "MESSAGES", "RECENT",  "UIDNEXT",       "UIDVALIDITY", "UNSEEN",
      "SIZE",     "DELETED", "HIGHESTMODSEQ", "APPENDLIMIT", "MAILBOXID"};
  auto items = PH_TRY(p.atom_list(false));
  for (auto it : items) {
    bool known = false;
    for (auto k : kItems) known = known || base::iequals(it, k);
    if (!known) return bad("Unknown status item");
  }
  return items;
}

R<Select> parse_select(Parser& p) {
  Select s;
  PH_CHECK(p.sp());
  s.mailbox = PH_TRY(p.mailbox());
  if (!p.accept(' ')) return s;
  PH_CHECK(p.list(false, [&]() -> base::Status {
    std::string_view w = PH_TRY(p.atom());
    if (base::iequals(w, "CONDSTORE") && !s.condstore) {
      s.condstore = true;
    } else if (base::iequals(w, "QRESYNC") && !s.qresync) {
      Select::Qresync q;
      PH_CHECK(p.sp());
      PH_CHECK(p.open());
      q.uidvalidity = PH_TRY(p.number32(true));
      PH_CHECK(p.sp());
      q.modseq = PH_TRY(p.modseq(false));
      if (p.accept(' ')) {
        if (p.peek() != '(') {
          q.known_uids = PH_TRY(p.seqset());
          if (q.known_uids->saved) return bad("Invalid known-uids");
        }
        if (q.known_uids ? p.accept(' ') : true) {
          if (p.peek() == '(') {
            PH_CHECK(p.open());
            q.seq_match = PH_TRY(p.seqset());
            PH_CHECK(p.sp());
            q.uid_match = PH_TRY(p.seqset());
            PH_CHECK(p.close());
          } else if (!q.known_uids) {
            return bad("Invalid QRESYNC parameters");
          }
        }
      }
      PH_CHECK(p.close());
      s.qresync = std::move(q);
    } else {
      return bad("Unknown SELECT parameter");
    }
    return {};
  }));
  PH_CHECK(p.end());
  return s;
}

R<List> parse_list(Parser& p) {
  List l;
  PH_CHECK(p.sp());
  if (p.peek() == '(') {
    l.extended = true;
    auto opts = PH_TRY(p.atom_list(true));
    for (auto o : opts) {
      if (base::iequals(o, "SUBSCRIBED")) {
        l.subscribed = true;
      } else if (base::iequals(o, "REMOTE")) {
        l.remote = true;
      } else if (base::iequals(o, "RECURSIVEMATCH")) {
        l.recursive_match = true;
      } else if (base::iequals(o, "SPECIAL-USE")) {
        l.special_use_sel = true;
      } else {
        return bad("Unknown LIST selection option");
      }
    }
    // RFC 5258 3.1: RECURSIVEMATCH alone (or with only REMOTE) is an error.
    if (l.recursive_match && !l.subscribed && !l.special_use_sel)
      return bad("RECURSIVEMATCH needs another selection option");
    PH_CHECK(p.sp());
  }
  l.reference = PH_TRY(p.mailbox());
  PH_CHECK(p.sp());
  if (p.peek() == '(') {
    l.extended = true;
    PH_CHECK(p.list(false, [&]() -> base::Status {
      l.patterns.push_back(PH_TRY(p.list_mailbox()));
      return {};
    }));
  } else {
    l.patterns.push_back(PH_TRY(p.list_mailbox()));
  }
  if (p.accept(' ')) {
    std::string_view w = PH_TRY(p.atom());
    if (!base::iequals(w, "RETURN")) return bad("Expected RETURN");
    l.extended = true;
    PH_CHECK(p.sp());
    PH_CHECK(p.list(true, [&]() -> base::Status {
      std::string_view o = PH_TRY(p.atom());
      if (base::iequals(o, "SUBSCRIBED")) {
        l.ret_subscribed = true;
      } else if (base::iequals(o, "CHILDREN")) {
        l.ret_children = true;
      } else if (base::iequals(o, "SPECIAL-USE")) {
        l.ret_special_use = true;
      } else if (base::iequals(o, "STATUS") && l.ret_status.empty()) {
        PH_CHECK(p.sp());
        l.ret_status = PH_TRY(status_items(p));
      } else {
        return bad("Unknown LIST return option");
      }
      return {};
    }));
  }
  PH_CHECK(p.end());
  return l;
}

R<Append> parse_append(Parser& p) {
  Append a;
  PH_CHECK(p.sp());
  a.mailbox = PH_TRY(p.mailbox());
  PH_CHECK(p.sp());
  if (p.peek() == '(') {
    a.flags = PH_TRY(p.flag_list());
    PH_CHECK(p.sp());
  }
  if (p.peek() == '"') {
    Str d = PH_TRY(p.quoted());
    a.date = PH_TRY(parse_date_time(d.value));
    PH_CHECK(p.sp());
  }
  if (base::iequals(p.peek_word(), "UTF8")) {
    p.skip(4);
    a.utf8 = true;
    PH_CHECK(p.sp());
    PH_CHECK(p.open());
    if (p.peek() != '~') return bad("UTF8 APPEND needs a literal8");
    a.message = PH_TRY(p.literal());
    PH_CHECK(p.close());
  } else {
    if (p.peek() != '{' && p.peek() != '~') return bad("APPEND message must be a literal");
    a.message = PH_TRY(p.literal());
  }
  PH_CHECK(p.end());
  return a;
}

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

R<Id> parse_id(Parser& p) {
  Id id;
  PH_CHECK(p.sp());
  if (p.accept_word("NIL")) {
    PH_CHECK(p.end());
    return id;
  }
  PH_CHECK(p.list(true, [&]() -> base::Status {
    Str k = PH_TRY(p.string());
    PH_CHECK(p.sp());
    auto v = PH_TRY(p.nstring());
    // RFC 2971 3.3: at most 30 pairs, field names <= 30 octets, values <= 1024.
    if (id.fields.size() >= 30 || k.value.size() > 30 || (v && v->size() > 1024))
      return bad("ID parameters too large");
    id.fields.emplace_back(k.value, v);
    return {};
  }));
  PH_CHECK(p.end());
  return id;
}

R<SetQuota> parse_setquota(Parser& p) {
  SetQuota q;
  PH_CHECK(p.sp());
  q.root = PH_TRY(p.astring());
  PH_CHECK(p.sp());
  PH_CHECK(p.list(true, [&]() -> base::Status {
    std::string_view name = PH_TRY(p.atom());
    PH_CHECK(p.sp());
    uint64_t v = PH_TRY(p.number64());
    q.limits.emplace_back(name, v);
    return {};
  }));
  PH_CHECK(p.end());
  return q;
}

R<Command> parse_body(Parser& p, Command cmd) {
  using CK = CommandKind;
  switch (cmd.kind) {
    case CK::kCapability:
    case CK::kNoop:
    case CK::kLogout:
    case CK::kStartTls:
    case CK::kNamespace:
    case CK::kIdle:
    case CK::kCheck:
    case CK::kClose:
    case CK::kUnselect:
      PH_CHECK(p.end());
      return cmd;
    case CK::kExpunge: {
      Expunge e;
      if (cmd.uid) {
        PH_CHECK(p.sp());
        e.uids = PH_TRY(p.seqset());
      }
      PH_CHECK(p.end());
      cmd.args = std::move(e);
      return cmd;
    }
    case CK::kAuthenticate: {
      Authenticate a;
      PH_CHECK(p.sp());
      a.mechanism = PH_TRY(p.atom());
      if (p.accept(' ')) {
        a.initial = PH_TRY(p.run(
            [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '/' || c == '='; },
            "initial response"));
      }
      PH_CHECK(p.end());
      cmd.args = a;
      return cmd;
    }
    case CK::kLogin: {
      Login l;
      PH_CHECK(p.sp());
      l.user = PH_TRY(p.astring());
      PH_CHECK(p.sp());
      l.password = PH_TRY(p.astring());
      PH_CHECK(p.end());
      cmd.args = l;
      return cmd;
    }
    case CK::kEnable: {
      Enable e;
      while (p.accept(' ')) e.capabilities.push_back(PH_TRY(p.atom()));
      if (e.capabilities.empty()) return bad("ENABLE needs capabilities");
      PH_CHECK(p.end());
      cmd.args = std::move(e);
      return cmd;
    }
    case CK::kSelect:
    case CK::kExamine:
      cmd.args = PH_TRY(parse_select(p));
      return cmd;
    case CK::kCreate: {
      MailboxArg m;
      PH_CHECK(p.sp());
      m.mailbox = PH_TRY(p.mailbox());
      if (p.accept(' ')) {
        PH_CHECK(p.open());
        std::string_view w = PH_TRY(p.atom());
        if (!base::iequals(w, "USE")) return bad("Unknown CREATE parameter");
        PH_CHECK(p.sp());
        m.special_use = PH_TRY(p.flag_list());
        PH_CHECK(p.close());
      }
      PH_CHECK(p.end());
      cmd.args = std::move(m);
      return cmd;
    }
    case CK::kDelete:
    case CK::kSubscribe:
    case CK::kUnsubscribe:
    case CK::kGetQuotaRoot: {
      MailboxArg m;
      PH_CHECK(p.sp());
      m.mailbox = PH_TRY(p.mailbox());
      PH_CHECK(p.end());
      cmd.args = std::move(m);
      return cmd;
    }
    case CK::kGetQuota: {
      QuotaRoot q;
      PH_CHECK(p.sp());
      q.root = PH_TRY(p.astring());
      PH_CHECK(p.end());
      cmd.args = q;
      return cmd;
    }
    case CK::kRename: {
      Rename r;
      PH_CHECK(p.sp());
      r.from = PH_TRY(p.mailbox());
      PH_CHECK(p.sp());
      r.to = PH_TRY(p.mailbox());
      PH_CHECK(p.end());
      cmd.args = r;
      return cmd;
    }
    case CK::kList:
      cmd.args = PH_TRY(parse_list(p));
      return cmd;
    case CK::kLsub: {
      List l;
      PH_CHECK(p.sp());
      l.reference = PH_TRY(p.mailbox());
      PH_CHECK(p.sp());
      l.patterns.push_back(PH_TRY(p.list_mailbox()));
      PH_CHECK(p.end());
      cmd.args = std::move(l);
      return cmd;
    }
    case CK::kStatus: {
      Status s;
      PH_CHECK(p.sp());
      s.mailbox = PH_TRY(p.mailbox());
      PH_CHECK(p.sp());
      s.items = PH_TRY(status_items(p));
      PH_CHECK(p.end());
      cmd.args = std::move(s);
      return cmd;
    }
    case CK::kAppend:
      cmd.args = PH_TRY(parse_append(p));
      return cmd;
    case CK::kSearch:
      cmd.args = PH_TRY(parse_search(p));
      return cmd;
    case CK::kFetch:
      cmd.args = PH_TRY(parse_fetch(p, cmd.uid));
      return cmd;
    case CK::kStore:
      cmd.args = PH_TRY(parse_store(p));
      return cmd;
    case CK::kCopy:
    case CK::kMove: {
      CopyMove c;
      PH_CHECK(p.sp());
      c.set = PH_TRY(p.seqset());
      PH_CHECK(p.sp());
      c.mailbox = PH_TRY(p.mailbox());
      PH_CHECK(p.end());
      cmd.args = std::move(c);
      return cmd;
    }
    case CK::kId:
      cmd.args = PH_TRY(parse_id(p));
      return cmd;
    case CK::kSetQuota:
      cmd.args = PH_TRY(parse_setquota(p));
      return cmd;
    case CK::kSort:
      cmd.args = PH_TRY(parse_sort(p));
      return cmd;
    case CK::kThread:
      cmd.args = PH_TRY(parse_thread(p));
      return cmd;
  }
  return bad("Unknown command");
}

bool uid_allowed(CommandKind k) {
  switch (k) {
    case CommandKind::kFetch:
    case CommandKind::kStore:
    case CommandKind::kCopy:
    case CommandKind::kMove:
    case CommandKind::kSearch:
    case CommandKind::kExpunge:
    case CommandKind::kSort:
    case CommandKind::kThread:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string_view command_name(CommandKind k) {
  for (const auto& e : kCommands) {
    if (e.kind == k) return e.name;
  }
  return "?";
}

bool is_idle_done(std::string_view line) { return base::iequals(line, "DONE"); }

base::Result<Command> parse_command(std::string& raw, const ParseLimits& limits,
                                    std::string_view* tag_out) {
  Parser p(raw, limits);
  // tag = 1*<any ASTRING-CHAR except "+">
  auto tag =
      p.run([](unsigned char c) { return (is_atom_char(c) || c == ']') && c != '+'; }, "tag");
  if (!tag.ok()) return bad("Missing or invalid tag");
  if (tag->size() > 64) return bad("Tag too long");
  if (tag_out) *tag_out = *tag;
  Command cmd;
  cmd.tag = *tag;
  PH_CHECK(p.sp());
  std::string_view name = PH_TRY(p.atom());
  if (base::iequals(name, "UID")) {
    cmd.uid = true;
    PH_CHECK(p.sp());
    name = PH_TRY(p.atom());
  }
  const auto* entry = protocol::find_keyword(kCommands, name);
  if (!entry) return bad("Unknown command");
  cmd.kind = entry->kind;
  if (cmd.uid && !uid_allowed(cmd.kind)) return bad("Command cannot be used with UID");
  return parse_body(p, std::move(cmd));
}

}  // namespace posthouse::imap
