#include "base/strings.h"
#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

PH_IMAP_HANDLER(cmd_enable) {
  const auto& e = std::get<codec::Enable>(c.args);
  std::string enabled;
  auto add = [&](bool& flag, std::string_view name) {
    if (!flag) {
      flag = true;
      enabled += ' ';
      enabled += name;
    }
  };
  for (auto cap : e.capabilities) {
    if (base::iequals(cap, "IMAP4rev2")) {
      add(s.rev2_, "IMAP4rev2");
    } else if (base::iequals(cap, "UTF8=ACCEPT")) {
      add(s.utf8_, "UTF8=ACCEPT");
    } else if (base::iequals(cap, "CONDSTORE")) {
      add(s.condstore_, "CONDSTORE");
    } else if (base::iequals(cap, "QRESYNC")) {
      s.condstore_ = true;  // RFC 7162 3.2.3: QRESYNC implies CONDSTORE
      add(s.qresync_, "QRESYNC");
    } else if (base::iequals(cap, "UIDONLY")) {
      add(s.uidonly_, "UIDONLY");  // RFC 9586: from now on UIDs only, both ways
    }
  }
  s.untagged("ENABLED" + enabled);
  s.ok(c, "ENABLE completed");
  co_return;
}

}  // namespace posthouse::server::imap
