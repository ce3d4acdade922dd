#include "queue/dsn.h"

#include <fmt/format.h>

#include "base/date.h"
#include "base/ids.h"

namespace posthouse::queue {

namespace {

std::string clean(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
  return out;
}

std::string headers_of(std::string_view msg) {
  auto end = msg.find("\r\n\r\n");
  if (end == std::string_view::npos) return std::string(msg);
  return std::string(msg.substr(0, end + 2));
}

std::string success_text(const ReportRecipient& r) {
  if (r.action == "delivered") return "delivered to mailbox";
  if (r.action == "expanded") return "delivered to the alias's destinations";
  std::string out = "relayed to a system that sends no delivery reports";
  if (!r.diagnostic.empty()) out += fmt::format(" ({})", clean(r.diagnostic));
  return out;
}

}  // namespace

std::string build_bounce(const BounceInput& in, int64_t now) {
  std::string boundary = "=_ph_" + base::random_hex(12);
  std::string mta = clean(in.reporting_mta);
  std::string out;
  out += fmt::format("From: \"{}\" <MAILER-DAEMON@{}>\r\n", clean(in.from_name), mta);
  out += fmt::format("To: <{}>\r\n", clean(in.original_sender));
  out += in.success   ? "Subject: Successful Mail Delivery Report\r\n"
         : in.delayed ? "Subject: Delayed Mail (still being retried)\r\n"
                      : "Subject: Undelivered Mail Returned to Sender\r\n";
  out += fmt::format("Date: {}\r\n", base::rfc5322_date(now));
  out += fmt::format("Message-ID: <{}@{}>\r\n", base::random_hex(12), mta);
  out += "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n";
  out += fmt::format(
      "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{}\"\r\n\r\n",
      boundary);
  out += "This is a MIME-encapsulated message.\r\n\r\n";
  out += fmt::format("--{}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", boundary);
  out += fmt::format("This is the mail system at host {}.\r\n\r\n", mta);
  if (in.success) {
    out +=
        "Your message was delivered to the destinations listed below. Where it was handed\r\n"
        "to another system that sends no delivery reports, you may still hear from it.\r\n\r\n";
  } else if (in.delayed) {
    out += "Your message could not be delivered yet to one or more recipients.\r\n";
    out += "It is still being retried";
    if (in.will_retry_until) out += fmt::format(" until {}", base::rfc5322_date(in.will_retry_until));
    out += "; you need not send it again.\r\n\r\n";
  } else {
    out += "Your message could not be delivered to one or more recipients:\r\n\r\n";
  }
  for (const auto& f : in.failed) {
    std::string what = in.success ? success_text(f) : clean(f.diagnostic);
    out += fmt::format("<{}>: {}\r\n", clean(f.address), what);
  }
  out += fmt::format("\r\n--{}\r\nContent-Type: message/delivery-status\r\n\r\n", boundary);
  out += fmt::format("Reporting-MTA: dns; {}\r\n", mta);
  if (!in.envid.empty()) out += fmt::format("Original-Envelope-Id: {}\r\n", clean(in.envid));
  if (in.arrival_date) out += fmt::format("Arrival-Date: {}\r\n", base::rfc5322_date(in.arrival_date));
  for (const auto& f : in.failed) {
    out += "\r\n";
    if (!f.orcpt.empty()) {
      bool typed = f.orcpt.find(';') != std::string::npos;
      out += fmt::format("Original-Recipient: {}{}\r\n", typed ? "" : "rfc822;", clean(f.orcpt));
    }
    out += fmt::format("Final-Recipient: rfc822; {}\r\n", clean(f.address));
    std::string action = in.success ? clean(f.action) : in.delayed ? "delayed" : "failed";
    out += fmt::format("Action: {}\r\n", action);
    out += fmt::format("Status: {}\r\n", clean(f.status));
    if (!f.diagnostic.empty()) out += fmt::format("Diagnostic-Code: {}\r\n", clean(f.diagnostic));
    if (in.delayed && in.will_retry_until) {
      out += fmt::format("Will-Retry-Until: {}\r\n", base::rfc5322_date(in.will_retry_until));
    }
  }
  bool headers_only = in.headers_only || in.success;
  out += fmt::format("\r\n--{}\r\nContent-Type: {}\r\n\r\n", boundary,
                     headers_only ? "text/rfc822-headers" : "message/rfc822");
  out += headers_only ? headers_of(in.original_message) : in.original_message;
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  out += fmt::format("--{}--\r\n", boundary);
  return out;
}

}  // namespace posthouse::queue
