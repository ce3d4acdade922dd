// The IMAP command table: one handler per command, each in its own file (commands/<name>.cc).
//
// Contract: a handler runs after the session checked the state the table requires; it replies
// with exactly one tagged response (Session::ok/no/bad/fail) unless the connection is gone.
#pragma once

#include <boost/asio.hpp>

#include "protocol/imap/command.h"
#include "store/mail_store.h"

namespace posthouse::server::imap {

class Session;
enum class State;

using Handler = boost::asio::awaitable<void> (*)(Session&, const ::posthouse::imap::Command&);

struct CommandSpec {
  Handler handler = nullptr;
  State min_state;        // kNotAuthenticated, kAuthenticated or kSelected
  bool only_unauth = false;  // LOGIN, AUTHENTICATE, STARTTLS
};

const CommandSpec& command_spec(::posthouse::imap::CommandKind kind);

// The CAPABILITY list for the session's current state (without "CAPABILITY").
std::string capabilities(const Session& s);

#define PH_IMAP_HANDLER(name) \
  boost::asio::awaitable<void> name(Session& s, const ::posthouse::imap::Command& c)

PH_IMAP_HANDLER(cmd_capability);
PH_IMAP_HANDLER(cmd_noop);
PH_IMAP_HANDLER(cmd_logout);
PH_IMAP_HANDLER(cmd_starttls);
PH_IMAP_HANDLER(cmd_authenticate);
PH_IMAP_HANDLER(cmd_login);
PH_IMAP_HANDLER(cmd_enable);
PH_IMAP_HANDLER(cmd_select);
PH_IMAP_HANDLER(cmd_create);
PH_IMAP_HANDLER(cmd_delete);
PH_IMAP_HANDLER(cmd_rename);
PH_IMAP_HANDLER(cmd_subscribe);
PH_IMAP_HANDLER(cmd_list);
PH_IMAP_HANDLER(cmd_namespace);
PH_IMAP_HANDLER(cmd_status);
PH_IMAP_HANDLER(cmd_append);
PH_IMAP_HANDLER(cmd_idle);
PH_IMAP_HANDLER(cmd_check);
PH_IMAP_HANDLER(cmd_close);
PH_IMAP_HANDLER(cmd_expunge);
PH_IMAP_HANDLER(cmd_search);
PH_IMAP_HANDLER(cmd_fetch);
PH_IMAP_HANDLER(cmd_store);
PH_IMAP_HANDLER(cmd_copy);
PH_IMAP_HANDLER(cmd_id);
PH_IMAP_HANDLER(cmd_quota);
PH_IMAP_HANDLER(cmd_sort);
PH_IMAP_HANDLER(cmd_thread);
PH_IMAP_HANDLER(cmd_replace);
PH_IMAP_HANDLER(cmd_compress);

}  // namespace posthouse::server::imap

namespace posthouse::server::imap {
// RFC 8474 object ids: a folder's MAILBOXID (its id and UIDVALIDITY: never reused, kept by
// RENAME) and a message's EMAILID (its body's content address: kept by COPY and MOVE).
std::string mailbox_object_id(store::FolderId id, uint32_t uidvalidity);
std::string email_object_id(std::string_view blob_sha);
// "STATUS name (MESSAGES n ...)" for STATUS and LIST-STATUS; false on an unknown item.
// `recent`: the folder's messages not yet claimed as \Recent (count_recent()).
bool format_status(const Session& s, std::string_view store_name, store::FolderId folder,
                   const std::vector<std::string_view>& items, const store::FolderStatus& st,
                   uint32_t recent, std::string& out);
// Whether the items ask for RECENT, and the count for them. Blocking: inside blocking().
bool wants_recent(const std::vector<std::string_view>& items);
base::Result<uint32_t> count_recent(Session& s, store::MailboxId mb, store::FolderId folder);
boost::asio::awaitable<void> do_login(Session& s, const ::posthouse::imap::Command& c,
                                      std::string user, std::string password);
}  // namespace posthouse::server::imap

namespace posthouse::server::imap {
// One APPEND/REPLACE message as the store takes it; nullopt after replying BAD/NO (UTF8 form
// without UTF8=ACCEPT, over APPENDLIMIT, invalid flags).
std::optional<store::AppendItem> append_item(Session& s, const ::posthouse::imap::Command& c,
                                             const ::posthouse::imap::AppendMessage& m);
int64_t to_epoch(const ::posthouse::imap::DateTime& dt);
int64_t civil_days(const ::posthouse::imap::Date& d);

// A message SEARCH matched: its metadata (with header info when asked) and sequence number.
struct SearchHit {
  uint32_t seq = 0;
  store::MessageMeta meta;
};
// Evaluates `key` over the selected folder (RFC 3501 6.4.4 / 9051 6.4.4; text keys match
// case-insensitively as substrings of the decoded header values and the raw body), ascending.
// kInvalid field "charset" for a charset other than UTF-8/US-ASCII.
boost::asio::awaitable<base::Result<std::vector<SearchHit>>> run_search(
    Session& s, const ::posthouse::imap::SearchKey& key, std::optional<std::string_view> charset,
    bool with_headers);
// "(TAG "x") UID MIN 1 MAX 4 COUNT 3 ALL 1,3:4" (RFC 4731), nums as sequence numbers or UIDs.
std::string esearch_result(std::string_view tag, bool uid, const std::vector<uint32_t>& nums,
                           bool min, bool max, bool all, bool count,
                           std::optional<store::ModSeq> modseq);
}  // namespace posthouse::server::imap
