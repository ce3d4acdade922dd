#include "protocol/imap/command_parser.h"

#include <cctype>
#include <cstring>

#include "base/strings.h"
#include "protocol/text.h"

namespace posthouse::imap::detail {

using base::Errc;
using base::make_error;

base::Status Parser::expect(char c) {
  if (accept(c)) return {};
  if (eof()) return bad(std::string("Missing '") + c + "'");
  return bad(std::string("Expected '") + c + "'");
}

base::Status Parser::end() {
  if (!eof()) return bad("Unexpected characters at end of command");
  return {};
}

base::Status Parser::count_arg() {
  if (++args_ > limits_.max_args) return make_error(Errc::kLimit, "Too many arguments", "syntax");
  return {};
}

base::Status Parser::open() {
  PH_CHECK(expect('('));
  if (++depth_ > limits_.max_depth) return make_error(Errc::kLimit, "Too deeply nested", "syntax");
  return {};
}

base::Status Parser::close() {
  PH_CHECK(expect(')'));
  --depth_;
  return {};
}

std::string_view Parser::peek_word() const {
  size_t e = pos_;
  while (e < n_ &&
         (std::isalnum(static_cast<unsigned char>(b_[e])) || b_[e] == '.' || b_[e] == '-'))
    ++e;
  return std::string_view(b_ + pos_, e - pos_);
}

bool Parser::accept_word(std::string_view w) {
  if (n_ - pos_ < w.size() || !base::iequals(std::string_view(b_ + pos_, w.size()), w))
    return false;
  size_t after = pos_ + w.size();
  if (after < n_ && is_atom_char(static_cast<unsigned char>(b_[after]))) return false;
  pos_ = after;
  return true;
}

R<Str> Parser::quoted() {
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

R<Str> Parser::literal() {
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

R<Str> Parser::string() {
  if (peek() == '"') return quoted();
  if (peek() == '{' || peek() == '~') return literal();
  return bad("Expected string");
}

R<std::string_view> Parser::astring() {
  if (peek() == '"' || peek() == '{' || peek() == '~') {
    Str s = PH_TRY(string());
    if (s.literal8) return bad("literal8 not allowed here");
    return s.value;
  }
  return run([](unsigned char c) { return is_atom_char(c) || c == ']'; }, "astring");
}

R<std::optional<std::string_view>> Parser::nstring() {
  if (accept_word("NIL")) return std::optional<std::string_view>();
  Str s = PH_TRY(string());
  return std::optional<std::string_view>(s.value);
}

R<std::string_view> Parser::list_mailbox() {
  if (peek() == '"' || peek() == '{') return astring();
  return run([](unsigned char c) { return is_atom_char(c) || c == '%' || c == '*' || c == ']'; },
             "mailbox pattern");
}

R<uint64_t> Parser::number64(bool nz) {
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

R<uint32_t> Parser::number32(bool nz) {
  uint64_t v = PH_TRY(number64(nz));
  if (v > 0xFFFFFFFFull) return bad("Number too large");
  return static_cast<uint32_t>(v);
}

R<uint64_t> Parser::modseq(bool allow_zero) {
  uint64_t v = PH_TRY(number64(!allow_zero));
  if (v > 0x7FFFFFFFFFFFFFFFull) return bad("Invalid mod-sequence");
  return v;
}

R<SequenceSet> Parser::seqset() {
  auto tok = PH_TRY(run(
      [](unsigned char c) {
        return (c >= '0' && c <= '9') || c == ':' || c == ',' || c == '*' || c == '$';
      },
      "sequence set"));
  if (pos_ < n_ && is_atom_char(static_cast<unsigned char>(b_[pos_])))
    return bad("Invalid sequence set");
  return parse_sequence_set(tok, limits_.max_args);
}

R<std::string_view> Parser::flag() {
  size_t start = pos_;
  accept('\\');
  size_t body = pos_;
  while (pos_ < n_ && is_atom_char(static_cast<unsigned char>(b_[pos_]))) ++pos_;
  if (pos_ == body) return bad("Invalid flag");
  PH_CHECK(count_arg());
  return std::string_view(b_ + start, pos_ - start);
}

R<std::vector<std::string_view>> Parser::flag_list() {
  std::vector<std::string_view> out;
  PH_CHECK(list(true, [&]() -> base::Status {
    out.push_back(PH_TRY(flag()));
    return {};
  }));
  return out;
}

R<std::vector<std::string_view>> Parser::atom_list(bool allow_empty) {
  std::vector<std::string_view> out;
  PH_CHECK(list(allow_empty, [&]() -> base::Status {
    out.push_back(PH_TRY(atom()));
    return {};
  }));
  return out;
}

R<Date> Parser::date() {
  std::string_view s = PH_TRY(astring());
  return parse_date(s);
}

}  // namespace posthouse::imap::detail
