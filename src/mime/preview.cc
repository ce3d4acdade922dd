#include "mime/preview.h"

#include <glib.h>

#include <cstring>

#include "mime/search_text.h"

namespace posthouse::mime {

namespace {

bool is_leaf(const PartEntry& e) { return !e.section.empty() && !e.is_message; }

// Lower-case ASCII compare of `s` at `pos` with `word`.
bool at(std::string_view s, size_t pos, std::string_view word) {
  if (pos + word.size() > s.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    char c = s[pos + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != word[i]) return false;
  }
  return true;
}

void append_entity(std::string_view name, std::string& out) {
  static constexpr struct {
    std::string_view name, text;
  } kNamed[] = {{"amp", "&"},  {"lt", "<"},    {"gt", ">"},   {"quot", "\""},
                {"apos", "'"}, {"nbsp", " "}, {"#39", "'"}};
  for (const auto& e : kNamed) {
    if (name == e.name) {
      out += e.text;
      return;
    }
  }
  if (name.size() > 1 && name[0] == '#') {
    bool hex = name[1] == 'x' || name[1] == 'X';
    std::string digits(name.substr(hex ? 2 : 1));
    char* end = nullptr;
    unsigned long cp = std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
    if (!digits.empty() && end && *end == '\0' && cp > 31 && cp < 0x110000 &&
        !(cp >= 0xD800 && cp <= 0xDFFF)) {
      char buf[8];
      int n = g_unichar_to_utf8(static_cast<gunichar>(cp), buf);
      out.append(buf, static_cast<size_t>(n));
      return;
    }
  }
  out += ' ';
}

// Text of an HTML fragment: tags become spaces, script/style/head/title content is dropped,
// the common entities are decoded. Not a parser: only what a one-line preview needs.
std::string html_text(std::string_view h) {
  std::string out;
  size_t i = 0;
  while (i < h.size()) {
    char c = h[i];
    if (c == '<') {
      for (std::string_view skip : {"script", "style", "head", "title"}) {
        size_t after = i + 1 + skip.size();
        if (at(h, i + 1, skip) &&
            (after >= h.size() || h[after] == '>' || h[after] == ' ' || h[after] == '\t' ||
             h[after] == '\n' || h[after] == '\r' || h[after] == '/')) {
          std::string close = "</" + std::string(skip);
          size_t j = i;
          while (j < h.size() && !at(h, j, close)) ++j;
          i = j;
          break;
        }
      }
      if (at(h, i, "<!--")) {
        size_t end = h.find("-->", i + 4);
        i = end == std::string_view::npos ? h.size() : end + 3;
        continue;
      }
      size_t end = h.find('>', i);
      i = end == std::string_view::npos ? h.size() : end + 1;
      out += ' ';
      continue;
    }
    if (c == '&') {
      size_t semi = h.find(';', i);
      if (semi != std::string_view::npos && semi - i <= 10) {
        append_entity(h.substr(i + 1, semi - i - 1), out);
        i = semi + 1;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

// Plain text without its quoted lines ("> ...", the reply's history).
std::string without_quotes(std::string_view t) {
  std::string out;
  size_t pos = 0;
  while (pos < t.size()) {
    size_t end = t.find('\n', pos);
    if (end == std::string_view::npos) end = t.size();
    std::string_view line = t.substr(pos, end - pos);
    size_t k = line.find_first_not_of(" \t");
    if (k == std::string_view::npos || line[k] != '>') {
      out.append(line);
      out += '\n';
    }
    pos = end + 1;
  }
  return out;
}

}  // namespace

const PartEntry* preview_part(const PartMap& parts) {
  const PartEntry* html = nullptr;
  for (const auto& e : parts.entries()) {
    if (!is_leaf(e)) continue;
    if (e.media.empty() || e.media == "text/plain") return &e;
    if (e.media == "text/html" && html == nullptr) html = &e;
  }
  return html;
}

std::string make_preview(const PartEntry& part, std::string_view data) {
  if (data.size() > kPreviewRead) data = data.substr(0, kPreviewRead);
  std::string text = part_text(part, data);
  text = part.media == "text/html" ? html_text(text) : without_quotes(text);
  gchar* valid = g_utf8_make_valid(text.data(), static_cast<gssize>(text.size()));
  std::string clean(valid);
  g_free(valid);
  // One line: every run of white space or control characters becomes one space.
  std::string out;
  size_t chars = 0;
  bool space = false;
  for (const char* p = clean.c_str(); *p != '\0' && chars < kPreviewChars;
       p = g_utf8_next_char(p)) {
    gunichar ch = g_utf8_get_char(p);
    if (g_unichar_isspace(ch) || g_unichar_iscntrl(ch) || ch == 0xA0) {
      space = !out.empty();
      continue;
    }
    if (space) {
      if (chars + 1 >= kPreviewChars) break;  // never end on the space
      out += ' ';
      ++chars;
      space = false;
    }
    out.append(p, static_cast<size_t>(g_utf8_next_char(p) - p));
    ++chars;
  }
  return out;
}

}  // namespace posthouse::mime
