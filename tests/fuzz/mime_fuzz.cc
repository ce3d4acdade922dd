// libFuzzer target: the MIME parser (mime::parse) over arbitrary messages, and the header
// helpers it uses. Oracles: every byte range of the part map lies inside the message; the part
// map survives serialize → parse unchanged; every section it names resolves to its own range;
// ENVELOPE, BODYSTRUCTURE and BODY are each one balanced IMAP list (quoted strings and
// literals skipped exactly); header counts respect the limits.
#include <glib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mime/header.h"
#include "mime/message.h"
#include "mime/preview.h"
#include "mime/search_text.h"
#include "mime/subject.h"
#include "mime/thread.h"

using namespace posthouse;

// True when `s` is exactly one parenthesised IMAP list: parentheses balance outside quoted
// strings and literals, a literal's announced length is present, nothing follows the list.
static bool one_imap_list(std::string_view s) {
  if (s.empty() || s[0] != '(') return false;
  int depth = 0;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') {
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\') ++i;
        if (i < s.size() && (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')) return false;
        ++i;
      }
      if (i >= s.size()) return false;
      ++i;
      continue;
    }
    if (c == '{') {
      size_t close = s.find('}', i);
      if (close == std::string_view::npos || close + 3 > s.size() ||
          s.substr(close + 1, 2) != "\r\n")
        return false;
      size_t n = std::strtoull(std::string(s.substr(i + 1, close - i - 1)).c_str(), nullptr, 10);
      i = close + 3;
      if (n > s.size() - i) return false;
      i += n;
      continue;
    }
    if (c == '\r' || c == '\n') return false;
    if (c == '(') ++depth;
    if (c == ')' && --depth == 0) return i + 1 == s.size();
    if (depth < 0) return false;
    ++i;
  }
  return false;
}

static void check_range(const mime::ByteRange& r, uint64_t size) {
  if (r.offset > size || r.length > size - r.offset) std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks small limits sometimes, so the limit paths are reached too.
  const uint8_t mode = data[0];
  std::string_view raw(reinterpret_cast<const char*>(data) + 1, size - 1);
  mime::Limits lim;
  if (mode & 1) {
    lim.max_depth = 1 + (mode >> 4 & 3);
    lim.max_parts = 1 + (mode >> 1 & 7);
    lim.max_headers = 2 + (mode >> 6);
    lim.max_header_value = 64;
  }
  auto m = mime::parse(raw, lim);

  if (m.size != raw.size() || m.header_size > raw.size()) std::abort();
  if (!one_imap_list(m.envelope) || !one_imap_list(m.bodystructure) || !one_imap_list(m.body))
    std::abort();
  const auto& entries = m.parts.entries();
  if (entries.empty() || !entries[0].section.empty()) std::abort();
  if (entries.size() > 2 * (lim.max_parts + 1) + 1) std::abort();
  for (const auto& e : entries) {
    check_range(e.header, raw.size());
    check_range(e.body, raw.size());
    check_range(e.msg_header, raw.size());
    check_range(e.msg_body, raw.size());
    auto r = m.parts.resolve(e.section);
    if (!r || !(*r == (e.section.empty() ? mime::ByteRange{0, raw.size()} : e.body)))
      std::abort();
    if (e.is_message) {
      auto h = m.parts.resolve(e.section.empty() ? "HEADER" : e.section + ".HEADER");
      if (!h) std::abort();
      check_range(*h, raw.size());
    }
  }
  // The search text is bounded by its cap whatever the parts say.
  if (mime::body_search_text(raw, m.parts, 4096).size() > 4096) std::abort();
  // The preview is valid UTF-8, one line, at most kPreviewChars characters.
  const mime::PartEntry* pp = mime::preview_part(m.parts);
  if (pp != nullptr && pp->body.offset <= raw.size()) {
    std::string pv = mime::make_preview(*pp, std::string_view(raw).substr(pp->body.offset,
                                                                           pp->body.length));
    if (!g_utf8_validate(pv.data(), static_cast<gssize>(pv.size()), nullptr) ||
        g_utf8_strlen(pv.data(), static_cast<gssize>(pv.size())) >
            static_cast<glong>(mime::kPreviewChars) ||
        pv.find_first_of("\r\n\t") != std::string::npos)
      std::abort();
  }
  // Threading the message with itself as its own reference: one thread, never a loop.
  std::vector<std::string> refs = m.headers.references;
  refs.push_back(m.headers.message_id);
  mime::ThreadMessage tm{m.headers.message_id, refs, m.headers.in_reply_to, m.headers.subject,
                         0, 1};
  mime::ThreadMessage twice[2] = {tm, tm};
  twice[1].seq = 2;
  auto forest = mime::thread_references(twice);
  uint32_t numbers[2] = {1, 2};
  auto list = mime::format_thread_list(forest, numbers);
  if (list.empty() || list.front() != '(' || list.back() != ')') std::abort();
  auto text = m.parts.serialize();
  auto back = mime::PartMap::parse(text);
  if (!back || back->entries() != entries) std::abort();

  // Section specs from the input itself: any answer, never out of range.
  std::string_view spec = raw.substr(0, std::min<size_t>(raw.size(), 24));
  if (auto r = m.parts.resolve(spec)) check_range(*r, raw.size());
  (void)mime::PartMap::parse(raw);

  // Header helpers on the raw bytes as one field value.
  std::string_view value = raw.substr(0, std::min<size_t>(raw.size(), 2048));
  auto ct = mime::parse_content_type(value);
  for (char c : ct.type + ct.subtype) {
    if (c >= 'A' && c <= 'Z') std::abort();
  }
  (void)mime::parse_disposition(value);
  auto addrs = mime::parse_address_list(value, 50);
  if (addrs.size() > 50) std::abort();
  (void)mime::decode_text(value);
  (void)mime::parse_date(value);
  if (mime::parse_msg_ids(value, 20).size() > 20) std::abort();
  (void)mime::base_subject(value);
  std::string s;
  mime::append_string(s, value);
  if (!one_imap_list("(" + s + ")")) std::abort();
  return 0;
}
