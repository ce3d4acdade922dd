#include "protocol/imap/reader.h"

#include <cstring>

namespace posthouse::imap {

using base::Errc;
using base::make_error;

namespace {

struct LiteralSpec {
  bool present = false;
  bool valid = false;
  bool sync = true;
  uint64_t size = 0;
};

// Looks for "{n}", "{n+}" or "~{n}" at the end of a line segment. Anything ending in '}' with
// a '{' that is not a well-formed size ("{-1}", "{}", "{1x}") is an invalid literal, so the
// client's data never gets read as commands.
LiteralSpec literal_at_end(std::string_view seg) {
  LiteralSpec s;
  if (seg.empty() || seg.back() != '}') return s;
  size_t open = seg.rfind('{');
  if (open == std::string_view::npos) return s;
  // A '{' inside a quoted string earlier on the line is not a literal: require the brace to
  // start a token (preceded by space, '(' , '~' or at the segment start).
  if (open > 0 && seg[open - 1] != ' ' && seg[open - 1] != '(' && seg[open - 1] != '~' &&
      seg[open - 1] != '[')
    return s;
  s.present = true;
  std::string_view num = seg.substr(open + 1, seg.size() - open - 2);
  if (!num.empty() && num.back() == '+') {
    s.sync = false;
    num.remove_suffix(1);
  }
  if (num.empty() || num.size() > 20) return s;
  uint64_t v = 0;
  for (char c : num) {
    if (c < '0' || c > '9') return s;
    if (v > (UINT64_MAX - 9) / 10) return s;
    v = v * 10 + (c - '0');
  }
  s.size = v;
  s.valid = true;
  return s;
}

}  // namespace

std::string_view CommandReader::tag() const {
  std::string_view b = buf_;
  size_t sp = b.find(' ');
  std::string_view t = b.substr(0, sp);
  if (t.empty() || t.size() > 64) return "*";
  for (unsigned char c : t) {
    if (c <= 0x20 || c >= 0x7f || c == '(' || c == ')' || c == '{' || c == '%' || c == '*' ||
        c == '"' || c == '\\' || c == '+')
      return "*";
  }
  return t;
}

void CommandReader::start_over() {
  buf_.clear();
  line_start_ = 0;
  literal_left_ = 0;
  literals_ = 0;
  fatal_ = false;
  finished_ = false;
}

CommandReader::Step CommandReader::fail(Step s, base::Error e, bool fatal) {
  error_ = std::move(e);
  fatal_ = fatal;
  finished_ = true;
  s.status = Status::kError;
  return s;
}

CommandReader::Step CommandReader::feed(std::string_view in) {
  if (finished_) start_over();
  Step st;
  size_t i = 0;
  while (i < in.size()) {
    if (literal_left_ > 0) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(literal_left_, in.size() - i));
      buf_.append(in.data() + i, take);
      literal_left_ -= take;
      i += take;
      continue;
    }
    const char* lf = static_cast<const char*>(std::memchr(in.data() + i, '\n', in.size() - i));
    size_t end = lf ? static_cast<size_t>(lf - in.data()) : in.size();
    size_t seg_len = buf_.size() - line_start_ + (end - i);
    if (seg_len > limits_.max_line + 1) {  // +1: the CR may still be in the segment
      st.consumed = lf ? end + 1 : in.size();
      return fail(st, make_error(Errc::kTooLarge, "Command line too long", "line"), true);
    }
    buf_.append(in.data() + i, end - i);
    i = end;
    if (!lf) break;
    ++i;  // the LF
    if (buf_.size() > line_start_ && buf_.back() == '\r') buf_.pop_back();
    if (buf_.size() - line_start_ > limits_.max_line) {
      st.consumed = i;
      return fail(st, make_error(Errc::kTooLarge, "Command line too long", "line"), true);
    }
    if (buf_.empty()) continue;  // blank lines between commands are ignored
    LiteralSpec lit = literal_at_end(std::string_view(buf_).substr(line_start_));
    if (!lit.present) {
      st.consumed = i;
      st.status = Status::kCommand;
      finished_ = true;
      return st;
    }
    st.consumed = i;
    if (!lit.valid) {
      return fail(st, make_error(Errc::kInvalid, "Invalid literal size", "syntax"), !lit.sync);
    }
    if (++literals_ > limits_.max_literals)
      return fail(st, make_error(Errc::kLimit, "Too many literals", "syntax"), !lit.sync);
    uint64_t limit = lit.sync ? limits_.max_literal : limits_.max_nonsync_literal;
    if (lit.size > limit || lit.size > 0xFFFFFFFFull) {
      // A synchronising literal is refused before its bytes come (no continuation is sent),
      // so the stream stays in sync. A non-synchronising one is already on its way: close.
      return fail(st, make_error(Errc::kTooLarge, "Literal too large", "literal"), !lit.sync);
    }
    if (buf_.size() + lit.size > limits_.max_command)
      return fail(st, make_error(Errc::kTooLarge, "Command too large", "literal"), !lit.sync);
    literal_left_ = lit.size;
    // CRLF is kept after the announcement so parse_command() can tell a real literal from
    // "{5}" text in the middle of a line.
    buf_ += "\r\n";
    buf_.reserve(buf_.size() + lit.size);
    // The literal's data and the rest of the command continue this buffer; the next line
    // segment starts after the literal bytes.
    line_start_ = buf_.size() + lit.size;
    if (lit.sync) {
      st.status = Status::kContinue;
      return st;
    }
  }
  st.consumed = in.size();
  st.status = Status::kNeedMore;
  return st;
}

}  // namespace posthouse::imap
