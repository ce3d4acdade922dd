// Internal to parse_command() (command.h): the tokenizer every command_<noun>.cc parses with,
// and the per-command argument parsers the command table (command.cc) dispatches to.
//
// Contract: a Parser reads the reader's raw form of one command in place; every string_view it
// returns points into that buffer (quoted strings are unescaped in place, the unescaped form is
// never longer), so no token allocates. Every error is kInvalid, or kLimit for ParseLimits, with
// field "syntax". Each list goes through Parser::list(), so nesting depth is bounded in one
// place; each token counts against max_args. Not for use outside src/protocol/imap/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "protocol/imap/command.h"
#include "protocol/imap/types.h"

namespace posthouse::imap::detail {

template <class T>
using R = base::Result<T>;

inline base::Error bad(std::string m) {
  return base::make_error(base::Errc::kInvalid, std::move(m), "syntax");
}

// ATOM-CHAR (RFC 3501 9): any CHAR except atom-specials.
inline bool is_atom_char(unsigned char c) {
  if (c >= 0x80 || c < 0x20 || c == 0x7F) return false;
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

// Recursive-descent parser over the reader's buffer.
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
  base::Status expect(char c);
  base::Status sp() { return expect(' '); }
  base::Status end();

  base::Status count_arg();
  base::Status open();
  base::Status close();

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
  std::string_view peek_word() const;
  void skip(size_t k) { pos_ += k; }

  // True if the next token is the keyword `w` (case-insensitive) followed by a delimiter.
  bool accept_word(std::string_view w);

  R<Str> quoted();
  R<Str> literal();
  R<Str> string();
  // astring: ASTRING-CHAR (atom chars plus ']') or string.
  R<std::string_view> astring();
  R<std::optional<std::string_view>> nstring();
  // list-mailbox: list-chars (atom chars, wildcards, ']') or string.
  R<std::string_view> list_mailbox();
  R<std::string_view> mailbox() { return astring(); }

  R<uint64_t> number64(bool nz = false);
  R<uint32_t> number32(bool nz = false);
  // mod-sequence-value: 1..2^63-1 (RFC 7162).
  R<uint64_t> modseq(bool allow_zero);
  R<SequenceSet> seqset();
  // flag: "\" atom (system flag or extension) or keyword atom.
  R<std::string_view> flag();

  // "(" item *(SP item) ")": `each` parses one item (returns base::Status).
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

  R<std::vector<std::string_view>> flag_list();
  R<std::vector<std::string_view>> atom_list(bool allow_empty);
  R<Date> date();

  // command_search.cc
  R<SearchKey> search_key();
  R<SearchKey> search_keys();  // 1*(SP search-key) after the caller consumed nothing
  base::Status search_return(SearchReturn& r);
  // command_fetch.cc
  R<Section> section(bool binary);
  R<FetchAtt> fetch_att();

 private:
  char* b_;
  size_t n_;
  size_t pos_ = 0;
  size_t depth_ = 0;
  size_t args_ = 0;
  const ParseLimits& limits_;
};

// The arguments of each command after its name: one parser per argument struct of command.h.
// Each consumes up to the end of the command (and checks it with Parser::end()).

// command_session.cc: AUTHENTICATE, LOGIN, ENABLE, ID.
R<Authenticate> parse_authenticate(Parser& p);
R<Login> parse_login(Parser& p);
R<Enable> parse_enable(Parser& p);
R<Id> parse_id(Parser& p);

// command_mailbox.cc: mailbox names and their options.
R<Select> parse_select(Parser& p);           // SELECT, EXAMINE
R<MailboxArg> parse_create(Parser& p);       // CREATE [(USE (...))]
R<MailboxArg> parse_mailbox_arg(Parser& p);  // DELETE, (UN)SUBSCRIBE, GETQUOTAROOT
R<Rename> parse_rename(Parser& p);
R<Append> parse_append(Parser& p);    // APPEND, MULTIAPPEND
R<Replace> parse_replace(Parser& p);  // [UID] REPLACE
R<Compress> parse_compress(Parser& p);
R<QuotaRoot> parse_getquota(Parser& p);
R<SetQuota> parse_setquota(Parser& p);

// command_list.cc: LIST, LSUB, STATUS.
R<List> parse_list(Parser& p);
R<List> parse_lsub(Parser& p);
R<Status> parse_status(Parser& p);

// command_search.cc: SEARCH, SORT, THREAD.
R<Search> parse_search(Parser& p);
R<Sort> parse_sort(Parser& p);
R<Thread> parse_thread(Parser& p);

// command_fetch.cc
R<Fetch> parse_fetch(Parser& p, bool uid);

// command_store.cc: commands over a message set that change messages.
R<Store> parse_store(Parser& p);
R<CopyMove> parse_copy_move(Parser& p);  // COPY, MOVE
R<Expunge> parse_expunge(Parser& p, bool uid);

}  // namespace posthouse::imap::detail
