#include "antispam/spf_macro.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace posthouse::antispam {

using base::Errc;
using base::Error;

namespace {

constexpr std::string_view kDelimiters = ".-+,/_=";
constexpr int kMaxParts = 128;  // more than any domain has labels

struct Macro {
  char letter = 0;  // lower case
  bool upper = false;
  int keep = 0;  // 0: all parts
  bool reverse = false;
  std::string delimiters;
};

bool literal_ok(char c, MacroMode mode) {
  auto u = static_cast<unsigned char>(c);
  if (u == ' ') return mode == MacroMode::kExplanation;
  return u >= 0x21 && u <= 0x7e && c != '%';
}

bool letter_ok(char lower, MacroMode mode) {
  if (std::string_view("slodiphv").find(lower) != std::string_view::npos) return true;
  return mode == MacroMode::kExplanation && std::string_view("crt").find(lower) != std::string_view::npos;
}

// Parses "%{...}" at text[pos] (pos at '%', text[pos+1] == '{'); advances pos past '}'.
base::Result<Macro> parse_macro(std::string_view text, std::size_t& pos, MacroMode mode) {
  std::size_t close = text.find('}', pos + 2);
  if (close == std::string_view::npos) {
    return Error(Errc::kInvalid, fmt::format("unterminated macro in \"{}\"", text));
  }
  std::string_view body = text.substr(pos + 2, close - pos - 2);
  Macro m;
  if (body.empty()) return Error(Errc::kInvalid, "empty macro %{}");
  char c = body[0];
  char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  if (!letter_ok(lower, mode)) {
    return Error(Errc::kInvalid, fmt::format("macro letter '{}' not allowed here", c));
  }
  m.letter = lower;
  m.upper = c != lower;
  std::size_t i = 1;
  std::size_t digits_start = i;
  while (i < body.size() && body[i] >= '0' && body[i] <= '9') {
    if (i - digits_start < 4) m.keep = m.keep * 10 + (body[i] - '0');
    ++i;
  }
  if (i > digits_start && m.keep == 0) {
    return Error(Errc::kInvalid, fmt::format("macro %{{{}}} keeps zero parts", body));
  }
  m.keep = std::min(m.keep, kMaxParts);
  if (i < body.size() && (body[i] == 'r' || body[i] == 'R')) {
    m.reverse = true;
    ++i;
  }
  for (; i < body.size(); ++i) {
    if (kDelimiters.find(body[i]) == std::string_view::npos) {
      return Error(Errc::kInvalid, fmt::format("bad macro transformer in %{{{}}}", body));
    }
    m.delimiters += body[i];
  }
  pos = close + 1;
  return m;
}

std::string url_escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

std::string transform(std::string_view value, const Macro& m) {
  if (m.keep == 0 && !m.reverse && (m.delimiters.empty() || m.delimiters == ".")) {
    return std::string(value);
  }
  std::string_view delims = m.delimiters.empty() ? std::string_view(".") : m.delimiters;
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= value.size(); ++i) {
    if (i == value.size() || delims.find(value[i]) != std::string_view::npos) {
      parts.push_back(value.substr(start, i - start));
      start = i + 1;
    }
  }
  if (m.reverse) std::reverse(parts.begin(), parts.end());
  std::size_t from = 0;
  if (m.keep > 0 && static_cast<std::size_t>(m.keep) < parts.size()) from = parts.size() - m.keep;
  std::string out;
  for (std::size_t i = from; i < parts.size(); ++i) {
    if (i > from) out += '.';
    out += parts[i];
  }
  return out;
}

std::string macro_value(const Macro& m, const SpfMacroContext& ctx, std::string& p_cache,
                        bool& p_done) {
  switch (m.letter) {
    case 's': return std::string(ctx.sender);
    case 'l': return std::string(ctx.local_part);
    case 'o': return std::string(ctx.sender_domain);
    case 'd': return std::string(ctx.domain);
    case 'i': return ctx.ip.dotted();
    case 'c': return ctx.ip.to_string();
    case 'v': return ctx.ip.v6 ? "ip6" : "in-addr";
    case 'h': return std::string(ctx.helo);
    case 'r': return std::string(ctx.receiver);
    case 't': return std::to_string(ctx.timestamp);
    case 'p':
      if (!p_done) {
        p_cache = ctx.validated_name ? ctx.validated_name() : "unknown";
        p_done = true;
      }
      return p_cache;
  }
  return {};
}

// Walks `text`; with ctx == nullptr only checks the syntax.
base::Result<std::string> walk(std::string_view text, const SpfMacroContext* ctx,
                               MacroMode mode) {
  std::string out;
  std::string p_cache;
  bool p_done = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    char c = text[pos];
    if (c != '%') {
      if (!literal_ok(c, mode)) {
        return Error(Errc::kInvalid,
                     fmt::format("character 0x{:02x} not allowed in \"{}\"",
                                 static_cast<unsigned char>(c), text));
      }
      out += c;
      ++pos;
    } else if (pos + 1 >= text.size()) {
      return Error(Errc::kInvalid, fmt::format("'%' at the end of \"{}\"", text));
    } else if (text[pos + 1] == '{') {
      Macro m = PH_TRY(parse_macro(text, pos, mode));
      if (ctx) {
        std::string v = transform(macro_value(m, *ctx, p_cache, p_done), m);
        out += m.upper ? url_escape(v) : v;
      }
    } else {
      char e = text[pos + 1];
      if (e == '%') {
        out += '%';
      } else if (e == '_') {
        out += ' ';
      } else if (e == '-') {
        out += "%20";
      } else {
        return Error(Errc::kInvalid, fmt::format("bad macro escape '%{}' in \"{}\"", e, text));
      }
      pos += 2;
    }
    if (out.size() > kMaxExpansion) {
      return Error(Errc::kTooLarge,
                   fmt::format("macro expansion longer than {} bytes", kMaxExpansion));
    }
  }
  return out;
}

}  // namespace

base::Status check_macro_string(std::string_view text, MacroMode mode) {
  auto r = walk(text, nullptr, mode);
  if (!r) return std::move(r).error();
  return {};
}

base::Result<std::string> expand_macros(std::string_view text, const SpfMacroContext& ctx,
                                        MacroMode mode) {
  return walk(text, &ctx, mode);
}

}  // namespace posthouse::antispam
