// Reading one TOML table of the config file (config.cc) and the [antispam] table, which has
// a file of its own (antispam_config.cc). Internal to src/config.
//
// Contract: a Section reads keys with their types and ranges; each error names
// "file:line: table.key" and carries "table.key" as its field; finish() refuses keys nobody
// read. The table may be absent (every key keeps its default).
#pragma once

#include <fmt/format.h>
#include <toml++/toml.h>

#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/config.h"

namespace posthouse::config::detail {

using base::Errc;
using base::Error;

// Reads one table, remembering which keys were consumed so leftovers are reported.
class Section {
 public:
  Section(const toml::table* t, std::string name, const std::string& file)
      : t_(t), name_(std::move(name)), file_(file) {}

  Error err(const toml::node* n, std::string_view key, std::string_view msg) const {
    int line = n ? static_cast<int>(n->source().begin.line) : 0;
    return Error(Errc::kInvalid, fmt::format("{}:{}: {}.{}: {}", file_, line, name_, key, msg),
                 fmt::format("{}.{}", name_, key));
  }

  const toml::node* get(std::string_view key) {
    seen_.insert(std::string(key));
    return at(key);
  }
  // The node of a key already read (for an error about its value).
  const toml::node* at(std::string_view key) const { return t_ ? t_->get(key) : nullptr; }

  base::Status get_int(std::string_view key, int& out, int lo, int hi) {
    int64_t v = out;
    PH_CHECK(get_int64(key, v, lo, hi));
    out = static_cast<int>(v);
    return {};
  }

  base::Status get_int64(std::string_view key, int64_t& out, int64_t lo, int64_t hi) {
    auto n = get(key);
    if (!n) return {};
    auto v = n->value<int64_t>();
    if (!n->is_integer() || !v) return err(n, key, "expected an integer");
    if (*v < lo || *v > hi) return err(n, key, fmt::format("must be between {} and {}", lo, hi));
    out = *v;
    return {};
  }

  base::Status get_bool(std::string_view key, bool& out) {
    auto n = get(key);
    if (!n) return {};
    if (!n->is_boolean()) return err(n, key, "expected true or false");
    out = *n->value<bool>();
    return {};
  }

  base::Status get_string(std::string_view key, std::string& out) {
    auto n = get(key);
    if (!n) return {};
    if (!n->is_string()) return err(n, key, "expected a string");
    out = *n->value<std::string>();
    return {};
  }

  // A string that must be one of `choices`: `must be "a" or "b"` otherwise.
  base::Status get_choice(std::string_view key, std::string& out,
                          std::initializer_list<std::string_view> choices) {
    PH_CHECK(get_string(key, out));
    std::string listed;
    std::size_t i = 0;
    for (auto c : choices) {
      if (out == c) return {};
      listed += fmt::format("{}\"{}\"", i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ", c);
      ++i;
    }
    return err(at(key), key, "must be " + listed);
  }

  // A string address, or an array of them; "" or [] disables.
  base::Status get_endpoints(std::string_view key, std::vector<Endpoint>& out) {
    auto n = get(key);
    if (!n) return {};
    std::vector<const toml::node*> items;
    if (n->is_string()) {
      if (!n->value<std::string>()->empty()) items.push_back(n);
    } else if (n->is_array()) {
      for (auto& e : *n->as_array()) items.push_back(&e);
    } else {
      return err(n, key, "expected an address string like \"127.0.0.1:25\" or an array of them");
    }
    out.clear();
    for (auto* item : items) {
      if (!item->is_string()) return err(item, key, "expected an address string");
      auto ep = parse_endpoint(*item->value<std::string>());
      if (!ep) return err(item, key, ep.error().message);
      out.push_back(*ep);
    }
    return {};
  }

  base::Status get_strings(std::string_view key, std::vector<std::string>& out) {
    auto n = get(key);
    if (!n) return {};
    if (!n->is_array()) return err(n, key, "expected an array of strings");
    out.clear();
    for (auto& e : *n->as_array()) {
      if (!e.is_string()) return err(&e, key, "expected an array of strings");
      out.push_back(*e.value<std::string>());
    }
    return {};
  }

  const std::string& file() const { return file_; }

  base::Status finish() {
    if (!t_) return {};
    for (auto&& [k, v] : *t_) {
      if (!seen_.count(std::string(k.str()))) return err(&v, k.str(), "unknown key");
    }
    return {};
  }

 private:
  const toml::table* t_;
  std::string name_;
  const std::string& file_;
  std::set<std::string> seen_;
};

// [antispam], its [[antispam.dnsbl]] tables included.
base::Status read_antispam(Section& s, Antispam& o);

}  // namespace posthouse::config::detail
