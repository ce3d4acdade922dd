#include <fmt/format.h>

#include "base/strings.h"
#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

bool format_status(const Session& s, std::string_view store_name,
                   const std::vector<std::string_view>& items, const store::FolderStatus& st,
                   std::string& out) {
  out = "STATUS ";
  s.append_mailbox(out, store_name);
  out += " (";
  bool first = true;
  for (auto it : items) {
    std::string v;
    if (base::iequals(it, "MESSAGES")) {
      v = fmt::format("MESSAGES {}", st.messages);
    } else if (base::iequals(it, "RECENT")) {
      v = "RECENT 0";
    } else if (base::iequals(it, "UIDNEXT")) {
      v = fmt::format("UIDNEXT {}", st.uidnext);
    } else if (base::iequals(it, "UIDVALIDITY")) {
      v = fmt::format("UIDVALIDITY {}", st.uidvalidity);
    } else if (base::iequals(it, "UNSEEN")) {
      v = fmt::format("UNSEEN {}", st.unseen);
    } else if (base::iequals(it, "DELETED")) {
      v = fmt::format("DELETED {}", st.deleted);
    } else if (base::iequals(it, "SIZE")) {
      v = fmt::format("SIZE {}", st.size);
    } else if (base::iequals(it, "HIGHESTMODSEQ")) {
      v = fmt::format("HIGHESTMODSEQ {}", st.highestmodseq);
    } else if (base::iequals(it, "APPENDLIMIT")) {
      v = fmt::format("APPENDLIMIT {}", s.o_.append_limit);
    } else {
      return false;
    }
    if (!first) out += ' ';
    first = false;
    out += v;
  }
  out += ')';
  return true;
}

PH_IMAP_HANDLER(cmd_status) {
  const auto& a = std::get<codec::Status>(c.args);
  auto name = s.store_name(a.mailbox);
  if (!name) {
    s.fail(c, name.error());
    co_return;
  }
  auto& mail = s.srv_.mail();
  auto mb = s.mailbox_;
  auto r = co_await s.blocking([&]() -> base::Result<store::FolderStatus> {
    auto f = PH_TRY(mail.folder(mb, *name));
    return mail.status(mb, f.id);
  });
  if (!r) {
    s.fail(c, r.error());
    co_return;
  }
  std::string line;
  if (!format_status(s, *name, a.items, *r, line)) {
    s.bad(c, "Unknown STATUS item");
    co_return;
  }
  s.untagged(line);
  s.ok(c, "STATUS completed");
}

}  // namespace posthouse::server::imap
