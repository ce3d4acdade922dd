#include "antispam/auth_results.h"

#include "base/strings.h"

namespace posthouse::antispam {

namespace {

constexpr int kMaxCommentDepth = 8;

bool is_wsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// RFC 2045 token characters: any CHAR but SPACE, CTLs and tspecials.
bool is_token_char(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  switch (c) {
    case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':':
    case '\\': case '"': case '/': case '[': case ']': case '?': case '=':
      return false;
    default:
      return true;
  }
}

// Skips folding white space and comments from `i`; false for an unterminated comment or one
// nested too deep.
bool skip_cfws(std::string_view s, std::size_t& i) {
  while (i < s.size()) {
    if (is_wsp(s[i])) {
      ++i;
      continue;
    }
    if (s[i] != '(') return true;
    int depth = 0;
    while (i < s.size()) {
      char c = s[i++];
      if (c == '\\') {
        if (i < s.size()) ++i;
      } else if (c == '(') {
        if (++depth > kMaxCommentDepth) return false;
      } else if (c == ')') {
        if (--depth == 0) break;
      }
    }
    if (depth != 0) return false;
  }
  return true;
}

// One header line: [begin, end) including its line break.
std::size_t line_end(std::string_view s, std::size_t begin) {
  auto nl = s.find('\n', begin);
  return nl == std::string_view::npos ? s.size() : nl + 1;
}

bool is_blank_line(std::string_view s, std::size_t begin) {
  return (begin < s.size() && s[begin] == '\n') ||
         (begin + 1 < s.size() && s[begin] == '\r' && s[begin + 1] == '\n');
}

}  // namespace

std::optional<std::string> authserv_id_of(std::string_view value) {
  std::size_t i = 0;
  if (!skip_cfws(value, i) || i >= value.size()) return std::nullopt;
  std::string id;
  if (value[i] == '"') {
    for (++i; i < value.size(); ++i) {
      char c = value[i];
      if (c == '"') return id.empty() ? std::nullopt : std::optional<std::string>(id);
      if (c == '\\' && i + 1 < value.size()) c = value[++i];
      if (c == '\r' || c == '\n') continue;  // folding inside the quotes
      id.push_back(c);
    }
    return std::nullopt;  // unterminated
  }
  while (i < value.size() && is_token_char(value[i])) id.push_back(value[i++]);
  if (id.empty()) return std::nullopt;
  return id;
}

std::optional<std::string> method_result(std::string_view payload, std::string_view method) {
  std::size_t i = 0;
  bool first = true;  // the authserv-id part, before the first ';'
  while (i < payload.size()) {
    // One part: up to the next ';' outside comments and quoted strings.
    std::size_t begin = i;
    bool quoted = false;
    int depth = 0;
    for (; i < payload.size(); ++i) {
      char c = payload[i];
      if (c == '\\') {
        ++i;
      } else if (quoted) {
        quoted = c != '"';
      } else if (c == '"') {
        quoted = true;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')') {
        depth = depth > 0 ? depth - 1 : 0;
      } else if (c == ';' && depth == 0) {
        break;
      }
    }
    std::string_view part = payload.substr(begin, std::min(i, payload.size()) - begin);
    ++i;
    if (first) {
      first = false;
      continue;
    }
    std::size_t j = 0;
    if (!skip_cfws(part, j)) continue;
    std::size_t m = j;
    while (j < part.size() && is_token_char(part[j])) ++j;
    std::string_view name = part.substr(m, j - m);
    if (!base::iequals(name, method)) continue;
    if (!skip_cfws(part, j)) continue;
    if (j < part.size() && part[j] == '/') {  // a method version (RFC 8601 2.2)
      ++j;
      if (!skip_cfws(part, j)) continue;
      while (j < part.size() && is_token_char(part[j])) ++j;
    }
    if (!skip_cfws(part, j) || j >= part.size() || part[j] != '=') continue;
    ++j;
    if (!skip_cfws(part, j)) continue;
    std::size_t r = j;
    while (j < part.size() && is_token_char(part[j])) ++j;
    if (j == r) continue;
    return base::to_lower(part.substr(r, j - r));
  }
  return std::nullopt;
}

std::size_t header_end(std::string_view message) {
  std::size_t pos = 0;
  while (pos < message.size()) {
    if (is_blank_line(message, pos)) return line_end(message, pos);
    pos = line_end(message, pos);
  }
  return message.size();
}

std::string strip_claims(std::string_view header, std::string_view authserv_id,
                         std::size_t* removed, bool spam_fields) {
  static constexpr std::string_view kName = "authentication-results";
  std::string out;
  out.reserve(header.size());
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos < header.size()) {
    // A field: its first line and the continuation lines (starting with WSP) after it.
    std::size_t end = line_end(header, pos);
    if (!is_blank_line(header, pos)) {
      while (end < header.size() && (header[end] == ' ' || header[end] == '\t')) {
        end = line_end(header, end);
      }
    }
    std::string_view field = header.substr(pos, end - pos);
    auto colon = field.find(':');
    bool drop = false;
    std::string_view name = colon == std::string_view::npos
                                ? std::string_view()
                                : base::trim(field.substr(0, colon));
    if (!name.empty() && base::iequals(name, kName)) {
      auto id = authserv_id_of(field.substr(colon + 1));
      drop = id && base::iequals(*id, authserv_id);
    } else if (spam_fields && !name.empty()) {
      drop = base::iequals(name, "x-spam-status") || base::iequals(name, "x-spam-action");
    }
    if (drop) {
      ++count;
    } else {
      out.append(field);
    }
    pos = end;
  }
  if (removed) *removed = count;
  return out;
}

}  // namespace posthouse::antispam
