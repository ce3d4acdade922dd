#include "antispam/rspamd_client.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <nlohmann/json.hpp>

#include "base/printable.h"
#include "base/strings.h"

namespace posthouse::antispam {

using base::Errc;
using base::Error;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxText = 1024;
constexpr std::size_t kMaxOptions = 16;
constexpr std::size_t kMaxMessages = 16;

constexpr std::array<std::pair<RspamdAction, std::string_view>, 6> kActions{{
    {RspamdAction::kNoAction, "no action"},
    {RspamdAction::kGreylist, "greylist"},
    {RspamdAction::kAddHeader, "add header"},
    {RspamdAction::kRewriteSubject, "rewrite subject"},
    {RspamdAction::kSoftReject, "soft reject"},
    {RspamdAction::kReject, "reject"},
}};

std::string text(const json& j) {
  return j.is_string() ? base::printable_ascii(j.get_ref<const std::string&>(), kMaxText) : "";
}

// A finite number, or nullopt.
std::optional<double> number(const json* j) {
  if (!j || !j->is_number()) return std::nullopt;
  double d = j->get<double>();
  return std::isfinite(d) ? std::optional<double>(d) : std::nullopt;
}

const json* member(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

// rspamd's error replies are {"error": "..."}; other bodies are quoted as they are.
std::string reply_error(const HttpResponse& r) {
  json j = json::parse(r.body, nullptr, false);
  std::string why =
      j.is_object() && j.contains("error") ? text(j["error"]) : base::printable_ascii(r.body, 200);
  return fmt::format("HTTP {}{}{}", r.status, why.empty() ? "" : ": ", why);
}

}  // namespace

std::string_view rspamd_action_name(RspamdAction a) {
  for (const auto& [action, name] : kActions)
    if (action == a) return name;
  return "no action";
}

RspamdAction RspamdResult::effective_action(OnError on_error) const {
  if (ok()) return action;
  return on_error == OnError::kFailOpen ? RspamdAction::kNoAction : RspamdAction::kSoftReject;
}

bool json_depth_within(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

base::Result<RspamdResult> parse_rspamd_reply(std::string_view body) {
  if (!json_depth_within(body, kMaxRspamdJsonDepth))
    return Error(Errc::kInvalid,
                 fmt::format("rspamd reply nests deeper than {}", kMaxRspamdJsonDepth));
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return Error(Errc::kInvalid, "rspamd reply is not JSON");
  if (!j.is_object()) return Error(Errc::kInvalid, "rspamd reply is not a JSON object");
  RspamdResult r;
  const json* action = member(j, "action");
  if (!action || !action->is_string()) return Error(Errc::kInvalid, "rspamd reply has no action");
  bool known = false;
  for (const auto& [a, name] : kActions) {
    if (action->get_ref<const std::string&>() == name) {
      r.action = a;
      known = true;
    }
  }
  if (!known)
    return Error(Errc::kInvalid,
                 fmt::format("rspamd reply has an unknown action: {}", text(*action)));
  auto score = number(member(j, "score"));
  if (!score) return Error(Errc::kInvalid, "rspamd reply has no score");
  r.score = *score;
  r.required_score = number(member(j, "required_score")).value_or(0);
  if (const json* s = member(j, "is_skipped"); s && s->is_boolean()) r.skipped = s->get<bool>();
  if (const json* symbols = member(j, "symbols"); symbols && symbols->is_object()) {
    for (const auto& [name, sym] : symbols->items()) {
      if (r.symbols.size() == kMaxRspamdSymbols) {
        ++r.symbols_dropped;
        continue;
      }
      RspamdSymbol s;
      s.name = base::printable_ascii(name, kMaxText);
      if (sym.is_object()) {
        s.score = number(member(sym, "score")).value_or(0);
        if (const json* opts = member(sym, "options"); opts && opts->is_array()) {
          for (const auto& o : *opts) {
            if (s.options.size() == kMaxOptions) break;
            s.options.push_back(text(o));
          }
        }
      }
      r.symbols.push_back(std::move(s));
    }
  }
  if (const json* messages = member(j, "messages"); messages && messages->is_object()) {
    for (const auto& [key, value] : messages->items()) {
      if (r.messages.size() == kMaxMessages) break;
      r.messages.emplace_back(base::printable_ascii(key, kMaxText), text(value));
    }
  }
  return r;
}

HttpFields rspamd_check_fields(const RspamdEnvelope& e) {
  HttpFields f;
  auto add = [&f](const char* name, const std::string& value) {
    if (!value.empty()) f.emplace_back(name, value);
  };
  add("IP", e.ip);
  add("Helo", e.helo);
  f.emplace_back("From", e.from.empty() ? "<>" : e.from);
  for (const auto& rcpt : e.rcpts) add("Rcpt", rcpt);
  add("Queue-Id", e.queue_id);
  add("User", e.user);
  add("Hostname", e.hostname);
  return f;
}

RspamdResult RspamdClient::check(std::string_view message, const RspamdEnvelope& envelope) const {
  RspamdResult failed;
  auto target = parse_http_url(options_.url);
  if (!target) {
    failed.error = "rspamd: " + target.error().message;
    return failed;
  }
  auto reply = http_post(*target, "/checkv2", rspamd_check_fields(envelope), message,
                         options_.timeouts, options_.limits);
  if (!reply) {
    failed.error = fmt::format("rspamd at {}: {}", target->address, reply.error().message);
    return failed;
  }
  if (reply->status != 200) {
    failed.error = fmt::format("rspamd at {}: {}", target->address, reply_error(*reply));
    return failed;
  }
  auto parsed = parse_rspamd_reply(reply->body);
  if (!parsed) {
    failed.error = fmt::format("rspamd at {}: {}", target->address, parsed.error().message);
    return failed;
  }
  return std::move(parsed).value();
}

RspamdLearnResult RspamdClient::learn(std::string_view message, bool spam) const {
  RspamdLearnResult result;
  auto target = parse_http_url(options_.controller_url);
  if (!target) {
    result.error = "rspamd controller: " + target.error().message;
    return result;
  }
  HttpFields fields;
  if (!options_.password.empty()) fields.emplace_back("Password", options_.password);
  auto reply = http_post(*target, spam ? "/learnspam" : "/learnham", fields, message,
                         options_.timeouts, options_.limits);
  if (!reply) {
    result.error =
        fmt::format("rspamd controller at {}: {}", target->address, reply.error().message);
    return result;
  }
  result.http_status = reply->status;
  json j = json::parse(reply->body, nullptr, false);
  bool success =
      reply->status == 200 && j.is_object() && j.contains("success") && j["success"] == true;
  if (!success)
    result.error = fmt::format("rspamd controller at {}: {}", target->address, reply_error(*reply));
  return result;
}

}  // namespace posthouse::antispam
