// The command table: names, which commands take UID, and the dispatch from a command's name to
// the parser of its arguments (command_<noun>.cc, through command_parser.h).
#include "protocol/imap/command.h"

#include <utility>

#include "base/strings.h"
#include "protocol/imap/command_parser.h"
#include "protocol/text.h"

namespace posthouse::imap {

namespace {

using detail::bad;
using detail::Parser;
using detail::R;

constexpr struct {
  std::string_view name;
  CommandKind kind;
} kCommands[] = {
    {"CAPABILITY", CommandKind::kCapability},
    {"NOOP", CommandKind::kNoop},
    {"LOGOUT", CommandKind::kLogout},
    {"STARTTLS", CommandKind::kStartTls},
    {"AUTHENTICATE", CommandKind::kAuthenticate},
    {"LOGIN", CommandKind::kLogin},
    {"ENABLE", CommandKind::kEnable},
    {"SELECT", CommandKind::kSelect},
    {"EXAMINE", CommandKind::kExamine},
    {"CREATE", CommandKind::kCreate},
    {"DELETE", CommandKind::kDelete},
    {"RENAME", CommandKind::kRename},
    {"SUBSCRIBE", CommandKind::kSubscribe},
    {"UNSUBSCRIBE", CommandKind::kUnsubscribe},
    {"LIST", CommandKind::kList},
    {"LSUB", CommandKind::kLsub},
    {"NAMESPACE", CommandKind::kNamespace},
    {"STATUS", CommandKind::kStatus},
    {"APPEND", CommandKind::kAppend},
    {"IDLE", CommandKind::kIdle},
    {"CHECK", CommandKind::kCheck},
    {"CLOSE", CommandKind::kClose},
    {"UNSELECT", CommandKind::kUnselect},
    {"EXPUNGE", CommandKind::kExpunge},
    {"SEARCH", CommandKind::kSearch},
    {"FETCH", CommandKind::kFetch},
    {"STORE", CommandKind::kStore},
    {"COPY", CommandKind::kCopy},
    {"MOVE", CommandKind::kMove},
    {"ID", CommandKind::kId},
    {"GETQUOTA", CommandKind::kGetQuota},
    {"GETQUOTAROOT", CommandKind::kGetQuotaRoot},
    {"SETQUOTA", CommandKind::kSetQuota},
    {"SORT", CommandKind::kSort},
    {"THREAD", CommandKind::kThread},
    {"REPLACE", CommandKind::kReplace},
    {"COMPRESS", CommandKind::kCompress},
};

// Stores a parsed argument struct in the command.
template <class T>
R<Command> with(Command cmd, R<T> args) {
  if (!args) return std::move(args).error();
  cmd.args = std::move(*args);
  return cmd;
}

R<Command> parse_body(Parser& p, Command cmd) {
  using CK = CommandKind;
  using namespace detail;
  switch (cmd.kind) {
    case CK::kCapability:
    case CK::kNoop:
    case CK::kLogout:
    case CK::kStartTls:
    case CK::kNamespace:
    case CK::kIdle:
    case CK::kCheck:
    case CK::kClose:
    case CK::kUnselect:
      PH_CHECK(p.end());
      return cmd;
    case CK::kExpunge: {
      bool uid = cmd.uid;
      return with(std::move(cmd), parse_expunge(p, uid));
    }
    case CK::kAuthenticate:
      return with(std::move(cmd), parse_authenticate(p));
    case CK::kLogin:
      return with(std::move(cmd), parse_login(p));
    case CK::kEnable:
      return with(std::move(cmd), parse_enable(p));
    case CK::kSelect:
    case CK::kExamine:
      return with(std::move(cmd), parse_select(p));
    case CK::kCreate:
      return with(std::move(cmd), parse_create(p));
    case CK::kDelete:
    case CK::kSubscribe:
    case CK::kUnsubscribe:
    case CK::kGetQuotaRoot:
      return with(std::move(cmd), parse_mailbox_arg(p));
    case CK::kGetQuota:
      return with(std::move(cmd), parse_getquota(p));
    case CK::kRename:
      return with(std::move(cmd), parse_rename(p));
    case CK::kList:
      return with(std::move(cmd), parse_list(p));
    case CK::kLsub:
      return with(std::move(cmd), parse_lsub(p));
    case CK::kStatus:
      return with(std::move(cmd), parse_status(p));
    case CK::kAppend:
      return with(std::move(cmd), parse_append(p));
    case CK::kSearch:
      return with(std::move(cmd), parse_search(p));
    case CK::kFetch: {
      bool uid = cmd.uid;
      return with(std::move(cmd), parse_fetch(p, uid));
    }
    case CK::kStore:
      return with(std::move(cmd), parse_store(p));
    case CK::kCopy:
    case CK::kMove:
      return with(std::move(cmd), parse_copy_move(p));
    case CK::kId:
      return with(std::move(cmd), parse_id(p));
    case CK::kSetQuota:
      return with(std::move(cmd), parse_setquota(p));
    case CK::kSort:
      return with(std::move(cmd), parse_sort(p));
    case CK::kThread:
      return with(std::move(cmd), parse_thread(p));
    case CK::kReplace:
      return with(std::move(cmd), parse_replace(p));
    case CK::kCompress:
      return with(std::move(cmd), parse_compress(p));
  }
  return bad("Unknown command");
}

bool uid_allowed(CommandKind k) {
  switch (k) {
    case CommandKind::kFetch:
    case CommandKind::kStore:
    case CommandKind::kCopy:
    case CommandKind::kMove:
    case CommandKind::kSearch:
    case CommandKind::kExpunge:
    case CommandKind::kSort:
    case CommandKind::kThread:
    case CommandKind::kReplace:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string_view command_name(CommandKind k) {
  for (const auto& e : kCommands) {
    if (e.kind == k) return e.name;
  }
  return "?";
}

bool is_idle_done(std::string_view line) { return base::iequals(line, "DONE"); }

base::Result<Command> parse_command(std::string& raw, const ParseLimits& limits,
                                    std::string_view* tag_out) {
  Parser p(raw, limits);
  // tag = 1*<any ASTRING-CHAR except "+">
  auto tag = p.run(
      [](unsigned char c) { return (detail::is_atom_char(c) || c == ']') && c != '+'; }, "tag");
  if (!tag.ok()) return bad("Missing or invalid tag");
  if (tag->size() > 64) return bad("Tag too long");
  if (tag_out) *tag_out = *tag;
  Command cmd;
  cmd.tag = *tag;
  PH_CHECK(p.sp());
  std::string_view name = PH_TRY(p.atom());
  if (base::iequals(name, "UID")) {
    cmd.uid = true;
    PH_CHECK(p.sp());
    name = PH_TRY(p.atom());
  }
  const auto* entry = protocol::find_keyword(kCommands, name);
  if (!entry) return bad("Unknown command");
  cmd.kind = entry->kind;
  if (cmd.uid && !uid_allowed(cmd.kind)) return bad("Command cannot be used with UID");
  return parse_body(p, std::move(cmd));
}

}  // namespace posthouse::imap
