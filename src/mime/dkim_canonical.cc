#include "mime/dkim_canonical.h"

#include "base/strings.h"

namespace posthouse::mime {

namespace {

bool wsp(char c) { return c == ' ' || c == '\t'; }

// Calls f(line) for each line of `text` without its line end (LF, or CRLF). A last line
// without LF is passed too when it is not empty (a CR ending it is dropped as before a LF).
template <class F>
void for_each_line(std::string_view text, F&& f) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    std::size_t end = eol == std::string_view::npos ? text.size() : eol;
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    f(line);
    if (eol == std::string_view::npos) return;
    pos = eol + 1;
  }
}

// WSP runs as one SP; WSP at the end dropped. A header value (`header`) is unfolded (CR and
// LF dropped, the WSP after them stays) and loses its leading WSP; a body line keeps leading
// WSP as one SP, and a lone CR in it is data.
void append_collapsed(std::string& out, std::string_view s, bool header) {
  bool space = false;
  bool any = false;
  for (char c : s) {
    if (header && (c == '\r' || c == '\n')) continue;
    if (wsp(c)) {
      space = true;
      continue;
    }
    if (space && (any || !header)) out += ' ';
    space = false;
    any = true;
    out += c;
  }
}

}  // namespace

DkimSplit dkim_split(std::string_view m, std::size_t max_fields) {
  DkimSplit out;
  std::size_t pos = 0;
  bool found_end = false;
  while (pos < m.size()) {
    auto eol = m.find('\n', pos);
    std::size_t end = eol == std::string_view::npos ? m.size() : eol;
    std::string_view line = m.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = eol == std::string_view::npos ? m.size() : eol + 1;
    if (line.empty()) {
      found_end = eol != std::string_view::npos;
      break;
    }
    if (wsp(line[0])) {
      if (!out.fields.empty() && !out.too_many_fields) {
        out.fields.back().value += "\r\n";
        out.fields.back().value += line;
      }
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (out.fields.size() >= max_fields) {
      out.too_many_fields = true;
      continue;
    }
    out.fields.push_back({std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))});
  }
  if (found_end) out.body = m.substr(pos);
  return out;
}

std::string dkim_canonical_header(DkimCanon c, std::string_view name, std::string_view value) {
  std::string out;
  if (c == DkimCanon::kSimple) {
    out.reserve(name.size() + value.size() + 3);
    out += name;
    out += ':';
    out += value;
  } else {
    out = base::to_lower(base::trim(name));
    out += ':';
    append_collapsed(out, value, true);
  }
  out += "\r\n";
  return out;
}

std::string dkim_canonical_body(DkimCanon c, std::string_view body) {
  std::string out;
  out.reserve(body.size() + 2);
  std::size_t pending_empty = 0;
  std::string line_out;
  for_each_line(body, [&](std::string_view line) {
    line_out.clear();
    if (c == DkimCanon::kSimple) {
      line_out = line;
    } else {
      append_collapsed(line_out, line, false);
    }
    if (line_out.empty()) {
      ++pending_empty;
    } else {
      for (; pending_empty > 0; --pending_empty) out += "\r\n";
      out += line_out;
      out += "\r\n";
    }
  });
  if (c == DkimCanon::kSimple && out.empty()) out = "\r\n";
  return out;
}

}  // namespace posthouse::mime
