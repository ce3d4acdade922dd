#include "mime/part_map.h"

#include <fmt/format.h>

#include <charconv>

#include "base/strings.h"

namespace posthouse::mime {

using base::Errc;
using base::Error;

const PartEntry* PartMap::find(std::string_view section) const {
  for (const auto& e : entries_) {
    if (e.section == section) return &e;
  }
  return nullptr;
}

base::Result<ByteRange> PartMap::resolve(std::string_view spec) const {
  // Split into the numeric part path and the optional text suffix.
  size_t i = 0;
  while (i < spec.size()) {
    size_t j = i;
    while (j < spec.size() && spec[j] >= '0' && spec[j] <= '9') ++j;
    if (j == i) break;  // not a number: the suffix starts here
    if (spec[i] == '0') return Error(Errc::kInvalid, "section numbers start at 1");
    if (j == spec.size()) {
      i = j;
      break;
    }
    if (spec[j] != '.') return Error(Errc::kInvalid, "malformed section");
    i = j + 1;
  }
  std::string_view path = spec.substr(0, i);
  std::string_view suffix = spec.substr(i);
  if (!path.empty() && path.back() == '.') path.remove_suffix(1);
  if (!suffix.empty() && path.empty() && i != 0) return Error(Errc::kInvalid, "malformed section");
  const PartEntry* e = find(path);
  if (e == nullptr) return Error(Errc::kNotFound, "no such body part");
  if (suffix.empty())
    return path.empty() ? ByteRange{0, e->header.length + e->body.length} : e->body;
  if (base::iequals(suffix, "MIME")) {
    if (path.empty()) return Error(Errc::kInvalid, "MIME needs a part number");
    return e->header;
  }
  bool header = base::iequals(suffix, "HEADER");
  if (!header && !base::iequals(suffix, "TEXT"))
    return Error(Errc::kInvalid, "unknown section text");
  if (!e->is_message) return Error(Errc::kInvalid, "part is not a message");
  return header ? e->msg_header : e->msg_body;
}

std::string part_token(std::string_view s) {
  std::string out;
  for (char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
        c == '/' || c == '+')
      out += c;
    else if (c >= 'A' && c <= 'Z')
      out += static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

namespace {

bool read_u64(std::string_view s, uint64_t* v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

// One line per entry, tab-separated: section, 8 offsets/lengths, is_message, media, encoding,
// charset. Text so it stays debuggable with the sqlite3 shell; small enough (tens of bytes
// per part) to sit beside every message.
std::string PartMap::serialize() const {
  std::string out = "v1\n";
  for (const auto& e : entries_) {
    fmt::format_to(std::back_inserter(out), "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                   e.section, e.header.offset, e.header.length, e.body.offset, e.body.length,
                   e.is_message ? 1 : 0, e.msg_header.offset, e.msg_header.length,
                   e.msg_body.offset, e.msg_body.length, part_token(e.media),
                   part_token(e.encoding), part_token(e.charset));
  }
  return out;
}

base::Result<PartMap> PartMap::parse(std::string_view data) {
  if (!base::istarts_with(data, "v1\n")) return Error(Errc::kInvalid, "unknown part map format");
  PartMap pm;
  auto lines = base::split(data.substr(3), '\n');
  for (auto line : lines) {
    if (line.empty()) continue;
    auto f = base::split(line, '\t');
    if (f.size() != 13) return Error(Errc::kInvalid, "corrupt part map");
    PartEntry e;
    e.section = std::string(f[0]);
    uint64_t v[9];
    for (int k = 0; k < 9; ++k) {
      if (!read_u64(f[k + 1], &v[k])) return Error(Errc::kInvalid, "corrupt part map");
    }
    e.header = {v[0], v[1]};
    e.body = {v[2], v[3]};
    e.is_message = v[4] != 0;
    e.msg_header = {v[5], v[6]};
    e.msg_body = {v[7], v[8]};
    e.media = std::string(f[10]);
    e.encoding = std::string(f[11]);
    e.charset = std::string(f[12]);
    pm.entries_.push_back(std::move(e));
  }
  return pm;
}

}  // namespace posthouse::mime
