// libFuzzer target: SMTP command lines (framing, verbs, paths, ESMTP params, SASL decoding).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/smtp/command.h"
#include "protocol/smtp/reply.h"
#include "protocol/text.h"

using namespace posthouse;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  protocol::LineFramer framer(512);
  smtp::ParserOptions opts;
  while (!in.empty()) {
    auto ev = framer.next(in);
    if (ev.consumed > in.size()) __builtin_trap();
    if (ev.kind == protocol::LineFramer::Kind::kNeedMore && ev.consumed == 0) {
      // Unterminated tail: parse it as a line anyway.
      auto r = smtp::parse_command(in, opts);
      if (!r.ok()) (void)smtp::error_reply(r.error()).wire();
      break;
    }
    if (ev.kind == protocol::LineFramer::Kind::kLine) {
      auto r = smtp::parse_command(ev.line, opts);
      if (r.ok()) {
        const auto& c = *r;
        if (c.verb == smtp::Verb::kMail || c.verb == smtp::Verb::kRcpt) {
          if (!c.path.null_path && !c.path.postmaster_only) {
            // A parsed mailbox must survive a round trip through its canonical form.
            std::string canon = "<" + c.path.mailbox.to_string() + ">";
            smtp::AddressLimits wide{1024, 1024, 4096};
            auto again = smtp::parse_path(canon, smtp::PathKind::kForward, true, wide);
            if (!again.ok() || again->mailbox.local != c.path.mailbox.local ||
                again->mailbox.domain != c.path.mailbox.domain)
              __builtin_trap();
          }
        }
        if (c.auth_initial && *c.auth_initial != "=") {
          (void)protocol::decode_sasl_plain(*c.auth_initial);
          (void)protocol::decode_sasl_login_step(*c.auth_initial);
        }
      } else {
        std::string w = smtp::error_reply(r.error()).wire();
        if (w.find('\n') != w.size() - 1) __builtin_trap();  // one reply line, no injection
      }
    }
    in.remove_prefix(ev.consumed);
  }
  return 0;
}
