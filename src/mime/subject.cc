#include "mime/subject.h"

#include <glib.h>

#include "base/strings.h"
#include "mime/header.h"

namespace posthouse::mime {

namespace {

bool istarts(std::string_view s, size_t at, std::string_view word) {
  return s.size() >= at + word.size() && base::iequals(s.substr(at, word.size()), word);
}

// subj-blob = "[" *BLOBCHAR "]" *WSP, at `at`: the offset just past it, or npos.
size_t match_blob(std::string_view s, size_t at) {
  if (at >= s.size() || s[at] != '[') return std::string_view::npos;
  size_t p = at + 1;
  while (p < s.size() && s[p] != '[' && s[p] != ']') ++p;
  if (p >= s.size() || s[p] != ']') return std::string_view::npos;
  ++p;
  while (p < s.size() && s[p] == ' ') ++p;
  return p;
}

// subj-leader's first form: *subj-blob subj-refwd, where
// subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":". The offset past it, or npos.
size_t match_blobs_refwd(std::string_view s) {
  size_t p = 0;
  for (size_t q; (q = match_blob(s, p)) != std::string_view::npos;) p = q;
  if (istarts(s, p, "re")) {
    p += 2;
  } else if (istarts(s, p, "fwd")) {
    p += 3;
  } else if (istarts(s, p, "fw")) {
    p += 2;
  } else {
    return std::string_view::npos;
  }
  while (p < s.size() && s[p] == ' ') ++p;
  if (size_t q = match_blob(s, p); q != std::string_view::npos) p = q;
  if (p >= s.size() || s[p] != ':') return std::string_view::npos;
  return p + 1;
}

}  // namespace

BaseSubject extract_base_subject(std::string_view decoded) {
  BaseSubject out;
  std::string& s = out.text;
  // (1) Tabs and line breaks become spaces; runs of spaces become one.
  for (char c : decoded) {
    bool ws = c == ' ' || c == '\t' || c == '\r' || c == '\n';
    if (!ws) {
      s += c;
    } else if (s.empty() || s.back() != ' ') {
      s += ' ';
    }
  }
  for (;;) {
    // (2) subj-trailer = "(fwd)" / WSP, removed from the end until none is left.
    for (;;) {
      if (!s.empty() && s.back() == ' ') {
        s.pop_back();
      } else if (s.size() >= 5 && istarts(s, s.size() - 5, "(fwd)")) {
        s.resize(s.size() - 5);
        out.reply_or_forward = true;
      } else {
        break;
      }
    }
    // (3) subj-leader = (*subj-blob subj-refwd) / WSP; (4) a leading subj-blob when something
    // is left after it; (5) until neither matches.
    for (;;) {
      if (!s.empty() && s[0] == ' ') {
        s.erase(0, 1);
        continue;
      }
      if (size_t n = match_blobs_refwd(s); n != std::string_view::npos) {
        s.erase(0, n);
        out.reply_or_forward = true;
        continue;
      }
      if (size_t n = match_blob(s, 0); n != std::string_view::npos && n < s.size()) {
        s.erase(0, n);
        continue;
      }
      break;
    }
    // (6) "[fwd:" subject "]": unwrap and start again from (2).
    if (s.size() >= 6 && istarts(s, 0, "[fwd:") && s.back() == ']') {
      s = s.substr(5, s.size() - 6);
      out.reply_or_forward = true;
      continue;
    }
    return out;
  }
}

std::string base_subject(std::string_view raw_subject) {
  return extract_base_subject(decode_text(raw_subject)).text;
}

std::string unicode_casemap(std::string_view s) {
  bool ascii = true;
  for (char c : s) ascii = ascii && static_cast<unsigned char>(c) < 0x80 && c != '\0';
  if (ascii) {
    // Titlecase of ASCII is uppercase and NFKD leaves ASCII alone.
    std::string out(s);
    for (char& c : out) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
  }
  if (!g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr)) return std::string(s);
  std::string titled;
  titled.reserve(s.size());
  for (const char* p = s.data(); p < s.data() + s.size(); p = g_utf8_next_char(p)) {
    char buf[8];
    int n = g_unichar_to_utf8(g_unichar_totitle(g_utf8_get_char(p)), buf);
    titled.append(buf, static_cast<size_t>(n));
  }
  gchar* norm = g_utf8_normalize(titled.data(), static_cast<gssize>(titled.size()),
                                 G_NORMALIZE_NFKD);
  if (norm == nullptr) return titled;
  std::string out(norm);
  g_free(norm);
  return out;
}

}  // namespace posthouse::mime
