#include "antispam/public_suffix.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "base/strings.h"

namespace posthouse::antispam {

namespace {

constexpr std::size_t kMaxRules = 1'000'000;
constexpr std::size_t kMaxRuleBytes = 256;

// The suffixes of `d` that start at a label boundary, longest first: a.b.c, b.c, c.
std::vector<std::string_view> label_suffixes(std::string_view d) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (true) {
    out.push_back(d.substr(pos));
    auto dot = d.find('.', pos);
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  return out;
}

}  // namespace

std::string normalize_domain(std::string_view d) {
  std::string s = base::to_lower(d);
  while (true) {
    s = std::string(base::trim(s));
    if (s.empty() || s.back() != '.') return s;
    s.pop_back();
  }
}

PublicSuffixList PublicSuffixList::parse(std::string_view text) {
  PublicSuffixList l;
  std::size_t start = 0;
  while (start < text.size() && l.size() < kMaxRules) {
    auto nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? text.npos : nl - start);
    start = nl == std::string_view::npos ? text.size() : nl + 1;
    // A rule is the line up to the first white space.
    auto ws = line.find_first_of(" \t\r");
    if (ws != std::string_view::npos) line = line.substr(0, ws);
    if (line.empty() || line.starts_with("//") || line.size() > kMaxRuleBytes) continue;
    if (line.front() == '!') {
      l.exceptions_.insert(normalize_domain(line.substr(1)));
    } else if (line.starts_with("*.")) {
      l.wildcards_.insert(normalize_domain(line.substr(2)));
    } else {
      l.rules_.insert(normalize_domain(line));
    }
  }
  return l;
}

base::Result<PublicSuffixList> PublicSuffixList::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::Error(base::Errc::kNotFound, fmt::format("cannot read {}", path));
  std::ostringstream s;
  s << in.rdbuf();
  PublicSuffixList l = parse(s.str());
  if (l.size() == 0) {
    return base::Error(base::Errc::kInvalid, fmt::format("{} holds no public suffix rule", path));
  }
  return l;
}

std::string PublicSuffixList::public_suffix(std::string_view domain) const {
  std::string d = normalize_domain(domain);
  auto suffixes = label_suffixes(d);
  for (std::size_t i = 0; i < suffixes.size(); ++i) {
    std::string s(suffixes[i]);
    if (exceptions_.count(s)) return i + 1 < suffixes.size() ? std::string(suffixes[i + 1]) : s;
    if (rules_.count(s)) return s;
    // "*.ck" matches x.ck: the suffix one label longer than the wildcard's base.
    if (i + 1 < suffixes.size() && wildcards_.count(std::string(suffixes[i + 1]))) return s;
  }
  return suffixes.empty() ? d : std::string(suffixes.back());
}

std::string PublicSuffixList::organizational_domain(std::string_view domain) const {
  std::string d = normalize_domain(domain);
  std::string suffix = public_suffix(d);
  if (suffix.size() >= d.size()) return d;
  std::string_view rest(d.data(), d.size() - suffix.size() - 1);  // without ".suffix"
  auto dot = rest.rfind('.');
  return std::string(dot == std::string_view::npos ? d : d.substr(dot + 1));
}

}  // namespace posthouse::antispam
