#include "mime/header.h"

#include <fmt/format.h>
#include <gmime/gmime.h>

#include <cctype>
#include <ctime>
#include <mutex>

#include "base/strings.h"

namespace posthouse::mime {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// RFC 5322 / 2045 structured-field lexer. `specials` decides what ends an atom, so the same
// lexer serves MIME parameters ("tspecials") and addresses (which keep '.' inside atoms).
struct Token {
  enum Kind { kAtom, kQuoted, kComment, kSpecial, kEnd } kind = kEnd;
  std::string text;
  char special = 0;
};

class Lexer {
 public:
  Lexer(std::string_view s, std::string_view specials) : s_(s), specials_(specials) {}

  // The next token that is not a comment (structured MIME fields ignore comments).
  Token next_significant() {
    Token t = next();
    while (t.kind == Token::kComment) t = next();
    return t;
  }

  Token next() {
    while (pos_ < s_.size() && (is_wsp(s_[pos_]) || s_[pos_] == '\r' || s_[pos_] == '\n')) ++pos_;
    Token t;
    if (pos_ >= s_.size()) return t;
    char c = s_[pos_];
    if (c == '"') {
      t.kind = Token::kQuoted;
      ++pos_;
      while (pos_ < s_.size() && s_[pos_] != '"') {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
        if (s_[pos_] != '\r' && s_[pos_] != '\n') t.text += s_[pos_];
        ++pos_;
      }
      ++pos_;  // closing quote (or past the end when unterminated)
      return t;
    }
    if (c == '(') {
      t.kind = Token::kComment;
      int depth = 0;
      // Nesting is bounded by the value's length; no recursion.
      while (pos_ < s_.size()) {
        char d = s_[pos_++];
        if (d == '\\' && pos_ < s_.size()) {
          t.text += s_[pos_++];
          continue;
        }
        if (d == '(') {
          if (depth++ == 0) continue;
        } else if (d == ')') {
          if (--depth == 0) break;
        }
        if (d != '\r' && d != '\n') t.text += d;
      }
      return t;
    }
    if (c == '[' && specials_.find('[') == std::string_view::npos) {
      // Domain literal: one atom, brackets kept.
      size_t end = s_.find(']', pos_);
      end = end == std::string_view::npos ? s_.size() : end + 1;
      t.kind = Token::kAtom;
      t.text = std::string(s_.substr(pos_, end - pos_));
      pos_ = end;
      return t;
    }
    if (specials_.find(c) != std::string_view::npos) {
      t.kind = Token::kSpecial;
      t.special = c;
      ++pos_;
      return t;
    }
    t.kind = Token::kAtom;
    size_t start = pos_;
    while (pos_ < s_.size()) {
      char d = s_[pos_];
      if (is_wsp(d) || d == '\r' || d == '\n' || d == '"' || d == '(' ||
          specials_.find(d) != std::string_view::npos)
        break;
      ++pos_;
    }
    t.text = std::string(s_.substr(start, pos_ - start));
    return t;
  }

 private:
  std::string_view s_;
  std::string_view specials_;
  size_t pos_ = 0;
};

constexpr std::string_view kMimeSpecials = "()<>@,;:\\/[]?=";
constexpr std::string_view kAddrSpecials = "()<>@,;:\\";

// Parses "; a=b; c="d"" after the leading value of a MIME header.
Params parse_params(Lexer& lx) {
  Params out;
  Token t = lx.next();
  while (t.kind != Token::kEnd) {
    if (t.kind == Token::kAtom) {
      std::string name = t.text;
      t = lx.next_significant();
      if (t.kind == Token::kSpecial && t.special == '=') {
        t = lx.next_significant();
        std::string value;
        // Unquoted values with tspecials ("a/b", "x@y") are common in the wild: join until ';'.
        while (t.kind == Token::kAtom || t.kind == Token::kQuoted ||
               (t.kind == Token::kSpecial && t.special != ';')) {
          if (t.kind == Token::kSpecial) {
            value += t.special;
          } else {
            value += t.text;
          }
          t = lx.next();
        }
        if (out.size() < 64) out.emplace_back(std::move(name), std::move(value));
        continue;
      }
      continue;
    }
    t = lx.next();
  }
  return out;
}

std::once_flag g_gmime_once;

}  // namespace

std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c != '\r' && c != '\n') out += c;
  }
  std::string_view t = out;
  size_t b = 0;
  while (b < t.size() && is_wsp(t[b])) ++b;
  size_t e = t.size();
  while (e > b && is_wsp(t[e - 1])) --e;
  return std::string(t.substr(b, e - b));
}

std::optional<std::string> find_field(const std::vector<HeaderField>& fields,
                                      std::string_view name) {
  for (const auto& f : fields) {
    if (base::iequals(f.name, name)) return unfold(f.raw);
  }
  return std::nullopt;
}

ContentType parse_content_type(std::string_view value) {
  ContentType ct;
  Lexer lx(value, kMimeSpecials);
  Token t = lx.next_significant();
  if (t.kind != Token::kAtom) return ct;
  std::string type = base::to_lower(t.text);
  t = lx.next_significant();
  if (!(t.kind == Token::kSpecial && t.special == '/')) return ct;
  t = lx.next_significant();
  if (t.kind != Token::kAtom) return ct;
  ct.type = std::move(type);
  ct.subtype = base::to_lower(t.text);
  ct.params = parse_params(lx);
  return ct;
}

Disposition parse_disposition(std::string_view value) {
  Disposition d;
  Lexer lx(value, kMimeSpecials);
  Token t = lx.next_significant();
  if (t.kind != Token::kAtom) return d;
  d.value = base::to_lower(t.text);
  d.params = parse_params(lx);
  return d;
}

std::optional<std::string> find_param(const Params& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (base::iequals(k, name)) return v;
  }
  return std::nullopt;
}

namespace {

// Quoted local parts are written back quoted, so a reply to the envelope address still works.
void append_word(std::string& out, const Token& t) {
  if (t.kind == Token::kQuoted) {
    out += '"';
    for (char c : t.text) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  } else {
    out += t.text;
  }
}

class AddressParser {
 public:
  AddressParser(std::string_view s, size_t max) : lx_(s, kAddrSpecials), max_(max) {
    t_ = lx_.next();
  }

  std::vector<Address> run() {
    while (t_.kind != Token::kEnd && out_.size() < max_) one(false);
    return std::move(out_);
  }

 private:
  bool is(char c) const { return t_.kind == Token::kSpecial && t_.special == c; }
  void adv() { t_ = lx_.next(); }

  // One mailbox or group. In a group, stops at ';'.
  void one(bool in_group) {
    std::vector<Token> words;
    std::string comment;
    while (t_.kind == Token::kAtom || t_.kind == Token::kQuoted || t_.kind == Token::kComment ||
           is('\\')) {
      if (t_.kind == Token::kComment) {
        if (comment.empty()) comment = t_.text;
      } else if (t_.kind != Token::kSpecial) {
        words.push_back(t_);
      }
      adv();
    }
    if (is(':') && !in_group) {
      adv();
      Address start;
      start.kind = Address::Kind::kGroupStart;
      start.mailbox = join_phrase(words);
      out_.push_back(std::move(start));
      while (t_.kind != Token::kEnd && !is(';') && out_.size() < max_) one(true);
      if (is(';')) adv();
      Address end;
      end.kind = Address::Kind::kGroupEnd;
      out_.push_back(std::move(end));
      return;
    }
    if (is('<')) {
      adv();
      Address a;
      if (!words.empty()) {
        a.name = join_phrase(words);
      } else if (!comment.empty()) {
        a.name = comment;
      }
      if (is('@')) {  // obsolete source route: @a,@b:
        std::string adl;
        while (t_.kind != Token::kEnd && !is(':') && !is('>')) {
          if (t_.kind == Token::kSpecial) {
            adl += t_.special;
          } else if (t_.kind == Token::kAtom) {
            adl += t_.text;
          }
          adv();
        }
        if (is(':')) adv();
        if (!adl.empty()) a.adl = adl;
      }
      std::string local, host;
      bool at = false;
      while (t_.kind != Token::kEnd && !is('>')) {
        if (is('@')) {
          at = true;
        } else if (t_.kind == Token::kAtom || t_.kind == Token::kQuoted) {
          append_word(at ? host : local, t_);
        }
        adv();
      }
      if (is('>')) adv();
      skip_to_separator(in_group);
      if (local.empty() && !at) return;  // "<>" null path: no address
      a.mailbox = local;
      a.host = host;
      out_.push_back(std::move(a));
      return;
    }
    Address a;
    std::string local, host;
    for (const auto& w : words) append_word(local, w);
    if (is('@')) {
      adv();
      while (t_.kind == Token::kAtom || t_.kind == Token::kQuoted || t_.kind == Token::kComment) {
        if (t_.kind == Token::kComment) {
          if (comment.empty()) comment = t_.text;
        } else {
          append_word(host, t_);
        }
        adv();
      }
    }
    // Trailing comment after an addr-spec is the display name in the "a@b (Name)" form.
    while (t_.kind == Token::kComment) {
      if (comment.empty()) comment = t_.text;
      adv();
    }
    skip_to_separator(in_group);
    if (local.empty() && host.empty()) return;
    if (!comment.empty()) a.name = comment;
    a.mailbox = local;
    a.host = host;
    out_.push_back(std::move(a));
  }

  void skip_to_separator(bool in_group) {
    while (t_.kind != Token::kEnd && !is(',') && !(in_group && is(';'))) adv();
    if (is(',')) adv();
  }

  static std::string join_phrase(const std::vector<Token>& words) {
    std::string out;
    for (const auto& w : words) {
      if (!out.empty()) out += ' ';
      out += w.text;
    }
    return out;
  }

  Lexer lx_;
  size_t max_;
  Token t_;
  std::vector<Address> out_;
};

}  // namespace

std::vector<Address> parse_address_list(std::string_view value, size_t max_entries) {
  return AddressParser(value, max_entries).run();
}

std::string decode_text(std::string_view value) {
  bool plain = value.find("=?") == std::string_view::npos;
  for (char c : value) {
    if (static_cast<unsigned char>(c) >= 0x80) plain = false;
  }
  if (plain) return std::string(value);
  std::call_once(g_gmime_once, [] { g_mime_init(); });
  std::string in(value);
  char* dec = g_mime_utils_header_decode_text(nullptr, in.c_str());
  if (dec == nullptr) return in;
  std::string out(dec);
  g_free(dec);
  return out;
}

namespace {

int month_index(std::string_view m) {
  static const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                  "jul", "aug", "sep", "oct", "nov", "dec"};
  if (m.size() < 3) return -1;
  for (int i = 0; i < 12; ++i) {
    if (base::iequals(m.substr(0, 3), kMonths[i])) return i;
  }
  return -1;
}

// Obsolete zone names of RFC 5322 section 4.3, in minutes east of UTC.
std::optional<int> zone_minutes(std::string_view z) {
  if (z.size() == 5 && (z[0] == '+' || z[0] == '-')) {
    for (size_t i = 1; i < 5; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(z[i]))) return std::nullopt;
    }
    int v = ((z[1] - '0') * 10 + (z[2] - '0')) * 60 + (z[3] - '0') * 10 + (z[4] - '0');
    return z[0] == '-' ? -v : v;
  }
  static const std::pair<const char*, int> kZones[] = {
      {"UT", 0},        {"GMT", 0},       {"Z", 0},         {"EST", -5 * 60},
      {"EDT", -4 * 60}, {"CST", -6 * 60}, {"CDT", -5 * 60}, {"MST", -7 * 60},
      {"MDT", -6 * 60}, {"PST", -8 * 60}, {"PDT", -7 * 60}};
  for (const auto& [n, v] : kZones) {
    if (base::iequals(z, n)) return v;
  }
  return std::nullopt;
}

bool parse_uint(std::string_view s, int* out) {
  if (s.empty() || s.size() > 9) return false;
  int v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::optional<int64_t> parse_date(std::string_view value) {
  // Tokens split on whitespace and commas; comments removed first.
  std::string clean;
  int depth = 0;
  for (char c : value) {
    if (c == '(') ++depth;
    if (depth == 0) clean += (c == ',' || c == '\t' || c == '\r' || c == '\n') ? ' ' : c;
    if (c == ')' && depth > 0) --depth;
  }
  std::vector<std::string_view> toks;
  for (auto p : base::split(clean, ' ')) {
    if (!p.empty()) toks.push_back(p);
  }
  size_t i = 0;
  if (i < toks.size() && !toks[i].empty() && std::isalpha(static_cast<unsigned char>(toks[i][0])))
    ++i;  // day of week
  if (toks.size() < i + 4) return std::nullopt;
  int day = 0, year = 0;
  if (!parse_uint(toks[i], &day)) return std::nullopt;
  int mon = month_index(toks[i + 1]);
  if (mon < 0 || !parse_uint(toks[i + 2], &year)) return std::nullopt;
  if (toks[i + 2].size() <= 2)
    year += year < 50 ? 2000 : 1900;
  else if (toks[i + 2].size() == 3)
    year += 1900;
  auto hms = base::split(toks[i + 3], ':');
  int hh = 0, mm = 0, ss = 0;
  if (hms.size() < 2 || !parse_uint(hms[0], &hh) || !parse_uint(hms[1], &mm)) return std::nullopt;
  if (hms.size() > 2 && !parse_uint(hms[2], &ss)) return std::nullopt;
  if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  int zone = 0;
  if (toks.size() > i + 4) zone = zone_minutes(toks[i + 4]).value_or(0);
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon;
  tm.tm_mday = day;
  tm.tm_hour = hh;
  tm.tm_min = mm;
  tm.tm_sec = ss;
  int64_t t = timegm(&tm);
  return t - static_cast<int64_t>(zone) * 60;
}

std::vector<std::string> parse_msg_ids(std::string_view value, size_t max_ids) {
  std::vector<std::string> out;
  size_t p = 0;
  while (out.size() < max_ids) {
    size_t lt = value.find('<', p);
    if (lt == std::string_view::npos) break;
    size_t gt = value.find('>', lt + 1);
    if (gt == std::string_view::npos) break;
    std::string id;
    for (char c : value.substr(lt, gt - lt + 1)) {
      if (!is_wsp(c) && c != '\r' && c != '\n') id += c;
    }
    if (id.size() > 2) out.push_back(std::move(id));
    p = gt + 1;
  }
  return out;
}

std::string filter_header_fields(std::string_view header_block,
                                 const std::vector<std::string>& names, bool exclude) {
  std::string out;
  bool keep = false;
  size_t p = 0;
  while (p < header_block.size()) {
    size_t e = header_block.find('\n', p);
    e = e == std::string_view::npos ? header_block.size() : e + 1;
    std::string_view line = header_block.substr(p, e - p);
    p = e;
    if (line == "\r\n" || line == "\n") break;  // the blank line ending the header
    if (line[0] != ' ' && line[0] != '\t') {
      size_t colon = line.find(':');
      std::string_view name =
          colon == std::string_view::npos ? std::string_view() : base::trim(line.substr(0, colon));
      bool listed = false;
      for (const auto& n : names) listed = listed || (!name.empty() && base::iequals(n, name));
      keep = !name.empty() && listed != exclude;
    }
    if (keep) out += line;
  }
  out += "\r\n";
  return out;
}

void append_string(std::string& out, std::string_view s) {
  bool literal = false;
  size_t nul = 0;
  for (char c : s) {
    if (c == '\r' || c == '\n' || static_cast<unsigned char>(c) >= 0x80) literal = true;
    if (c == '\0') ++nul;
  }
  if (literal) {
    fmt::format_to(std::back_inserter(out), "{{{}}}\r\n", s.size() - nul);
    for (char c : s) {
      if (c != '\0') out += c;
    }
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '\0') continue;
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void append_nstring(std::string& out, const std::optional<std::string>& s) {
  if (!s) {
    out += "NIL";
    return;
  }
  append_string(out, *s);
}

void append_upper_string(std::string& out, std::string_view s) {
  std::string u(s);
  for (auto& c : u) c = upper(c);
  append_string(out, u);
}

}  // namespace posthouse::mime
