#include "mime/search_text.h"

#include <glib.h>

#include <algorithm>

#include "mime/cte.h"

namespace posthouse::mime {

namespace {

bool is_text_leaf(const PartEntry& e) {
  if (e.section.empty() || e.is_message) return false;  // the whole message, or a container
  return e.media.empty() || e.media.rfind("text/", 0) == 0;
}

bool is_utf8_compatible(std::string_view charset) {
  return charset.empty() || charset == "utf-8" || charset == "utf8" || charset == "us-ascii" ||
         charset == "ascii";
}

std::string to_utf8(std::string text, const std::string& charset) {
  if (is_utf8_compatible(charset)) return text;
  gsize written = 0;
  gchar* out = g_convert(text.data(), static_cast<gssize>(text.size()), "UTF-8",
                         charset.c_str(), nullptr, &written, nullptr);
  if (out == nullptr) return text;  // unknown charset or bytes that do not convert
  std::string r(out, written);
  g_free(out);
  return r;
}

}  // namespace

std::string part_text(const PartEntry& e, std::string_view data) {
  auto decoded = decode_cte(e.encoding, data);
  return to_utf8(decoded ? std::move(*decoded) : std::string(data), e.charset);
}

std::string body_search_text(std::string_view raw, const PartMap& parts, size_t max) {
  std::string out;
  for (const auto& e : parts.entries()) {
    if (out.size() >= max) break;
    if (!is_text_leaf(e)) continue;
    if (e.body.offset > raw.size()) continue;
    std::string_view data = raw.substr(e.body.offset, e.body.length);
    std::string text = part_text(e, data);
    if (!out.empty()) out += '\n';
    out.append(text, 0, std::min(text.size(), max - std::min(max, out.size())));
  }
  if (out.size() > max) out.resize(max);
  return out;
}

}  // namespace posthouse::mime
