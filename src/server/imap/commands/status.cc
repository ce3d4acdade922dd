#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"
#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

std::string mailbox_object_id(store::FolderId id, uint32_t uidvalidity) {
  return fmt::format("F{}-{}", id, uidvalidity);
}

std::string email_object_id(std::string_view blob_sha) {
  return "M" + std::string(blob_sha.substr(0, 24));
}

bool format_status(const Session& s, std::string_view store_name, store::FolderId folder,
                   const std::vector<std::string_view>& items, const store::FolderStatus& st,
                   uint32_t recent, std::string& out) {
  out = "STATUS ";
  s.append_mailbox(out, store_name);
  out += " (";
  bool first = true;
  for (auto it : items) {
    std::string v;
    if (base::iequals(it, "MESSAGES")) {
      v = fmt::format("MESSAGES {}", st.messages);
    } else if (base::iequals(it, "RECENT")) {
      v = fmt::format("RECENT {}", recent);
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
    } else if (base::iequals(it, "MAILBOXID")) {
      v = fmt::format("MAILBOXID ({})", mailbox_object_id(folder, st.uidvalidity));
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

bool wants_recent(const std::vector<std::string_view>& items) {
  for (auto it : items) {
    if (base::iequals(it, "RECENT")) return true;
  }
  return false;
}

base::Result<uint32_t> count_recent(Session& s, store::MailboxId mb, store::FolderId folder) {
  store::Uid mark = s.srv_.recent_mark(folder);
  auto uids = PH_TRY(s.srv_.mail().uids(mb, folder));
  return static_cast<uint32_t>(uids.end() - std::upper_bound(uids.begin(), uids.end(), mark));
}

PH_IMAP_HANDLER(cmd_status) {
  const auto& a = std::get<codec::Status>(c.args);
  auto name = s.store_name_or_fail(c, a.mailbox);
  if (!name) co_return;
  auto& mail = s.srv_.mail();
  auto mb = s.mailbox_;
  uint32_t recent = 0;
  bool want_recent = wants_recent(a.items);
  store::FolderId folder = 0;
  auto r = co_await s.blocking([&]() -> base::Result<store::FolderStatus> {
    auto f = PH_TRY(mail.folder(mb, *name));
    folder = f.id;
    if (want_recent) recent = PH_TRY(count_recent(s, mb, f.id));
    return mail.status(mb, f.id);
  });
  if (!r) {
    s.fail(c, r.error());
    co_return;
  }
  std::string line;
  if (!format_status(s, *name, folder, a.items, *r, recent, line)) {
    s.bad(c, "Unknown STATUS item");
    co_return;
  }
  s.untagged(line);
  s.ok(c, "STATUS completed");
}

}  // namespace posthouse::server::imap
