#include "delivery/autoreply.h"

#include <fmt/format.h>

#include "base/date.h"
#include "base/ids.h"
#include "base/strings.h"
#include "mime/header.h"

namespace posthouse::delivery {

std::vector<mime::HeaderField> split_headers(std::string_view h) {
  std::vector<mime::HeaderField> out;
  std::size_t pos = 0;
  while (pos < h.size() && out.size() < 1000) {
    std::size_t eol = h.find('\n', pos);
    if (eol == std::string_view::npos) eol = h.size();
    std::string_view line = h.substr(pos, eol - pos);
    if (line.empty() || line == "\r") break;
    if ((line[0] == ' ' || line[0] == '\t') && !out.empty()) {
      // Continuation: extend the previous field's raw value.
      auto& last = out.back();
      last.raw = std::string_view(last.raw.data(), h.data() + eol - last.raw.data());
    } else {
      auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        out.push_back({line.substr(0, colon), h.substr(pos + colon + 1, eol - pos - colon - 1)});
      }
    }
    pos = eol + 1;
  }
  return out;
}

namespace {

bool has(const std::vector<mime::HeaderField>& f, std::string_view name) {
  return mime::find_field(f, name).has_value();
}

std::string clean(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
  return out;
}

bool is_system_sender(std::string_view sender) {
  std::string local = base::to_lower(sender.substr(0, sender.find('@')));
  return local == "mailer-daemon" || local == "listserv" || local == "majordomo" ||
         local == "postmaster" || local.rfind("owner-", 0) == 0 ||
         (local.size() > 8 && local.compare(local.size() - 8, 8, "-request") == 0) ||
         local == "noreply" || local == "no-reply" || local == "do-not-reply";
}

}  // namespace

bool should_reply(const AutoreplySettings& s, const IncomingMail& in,
                  const std::vector<std::string>& own_addresses, int64_t now) {
  if (!s.enabled) return false;
  if (s.start && now < *s.start) return false;
  if (s.end && now >= *s.end) return false;
  if (in.envelope_sender.empty() || is_system_sender(in.envelope_sender)) return false;
  auto f = split_headers(in.raw_headers);
  if (auto as = mime::find_field(f, "Auto-Submitted"); as && !base::iequals(base::trim(*as), "no"))
    return false;
  if (auto p = mime::find_field(f, "Precedence")) {
    std::string v = base::to_lower(base::trim(*p));
    if (v == "bulk" || v == "list" || v == "junk") return false;
  }
  for (const char* h : {"List-Id", "List-Unsubscribe", "List-Post", "List-Help", "Feedback-ID"}) {
    if (has(f, h)) return false;
  }
  if (auto x = mime::find_field(f, "X-Auto-Response-Suppress")) {
    std::string v = base::to_lower(*x);
    if (v.find("all") != std::string::npos || v.find("oof") != std::string::npos) return false;
  }
  // Only mail addressed to this mailbox by name (not Bcc'd list traffic).
  for (const char* h : {"To", "Cc"}) {
    auto v = mime::find_field(f, h);
    if (!v) continue;
    for (const auto& a : mime::parse_address_list(*v)) {
      if (!a.mailbox || !a.host) continue;
      std::string addr = *a.mailbox + "@" + *a.host;
      for (const auto& own : own_addresses) {
        if (base::iequals(addr, own)) return true;
      }
    }
  }
  return false;
}

std::string build_reply(const AutoreplySettings& s, std::string_view from_address,
                        std::string_view from_name, const IncomingMail& in,
                        std::string_view hostname, int64_t now) {
  auto f = split_headers(in.raw_headers);
  std::string orig_subject = mime::find_field(f, "Subject").value_or("");
  std::string subject = s.subject.empty() ? "Auto: " + orig_subject : s.subject;
  std::string msgid = mime::find_field(f, "Message-ID").value_or("");
  std::string refs = mime::find_field(f, "References").value_or("");
  std::string out;
  out += fmt::format("From: {}<{}>\r\n",
                     from_name.empty() ? "" : "\"" + clean(from_name) + "\" ",
                     clean(from_address));
  out += fmt::format("To: <{}>\r\n", clean(in.envelope_sender));
  out += fmt::format("Subject: {}\r\n", clean(subject));
  out += fmt::format("Date: {}\r\n", base::rfc5322_date(now));
  out += fmt::format("Message-ID: <{}@{}>\r\n", base::random_hex(12), clean(hostname));
  if (!msgid.empty()) {
    out += fmt::format("In-Reply-To: {}\r\n", clean(msgid));
    out += fmt::format("References: {}{}\r\n", refs.empty() ? "" : clean(refs) + " ",
                       clean(msgid));
  }
  out += "Auto-Submitted: auto-replied\r\n";
  out += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: 8bit\r\n\r\n";
  // Normalise body line ends to CRLF.
  for (std::size_t i = 0; i < s.body.size(); ++i) {
    char c = s.body[i];
    if (c == '\n' && (i == 0 || s.body[i - 1] != '\r')) out += '\r';
    out += c;
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

base::Result<bool> AutoreplyLog::claim(int64_t mailbox_id, const std::string& sender,
                                       int64_t period, int64_t now) {
  return store_.claim(mailbox_id, base::to_lower(sender), period, now);
}

}  // namespace posthouse::delivery
