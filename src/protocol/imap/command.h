// Parsed IMAP commands (RFC 3501, RFC 9051 and the extensions in DESIGN.md: CONDSTORE/QRESYNC
// 7162, LIST-EXTENDED 5258, LIST-STATUS 5819, SPECIAL-USE 6154, ESEARCH 4731, SEARCHRES 5182,
// BINARY 3516, QUOTA 9208, ID 2971, SORT/THREAD 5256, SASL-IR 4959, ENABLE 5161, MOVE 6851,
// UIDPLUS 4315, UNSELECT 3691, MULTIAPPEND 3502, REPLACE 8508, COMPRESS 4978, PREVIEW 8970,
// SAVEDATE 8514, OBJECTID 8474).
//
// Contract: parse_command() parses the raw form produced by CommandReader (reader.h). All
// string_views in the result point into that buffer (quoted strings are unescaped in place),
// so a Command is valid until the reader is fed again; copy what must live longer. Mailbox
// names are returned as sent (modified UTF-7 unless UTF8=ACCEPT): decode with mutf7.h and
// check with check_mailbox_name(). Keywords (commands, search keys, fetch items) are matched
// case-insensitively. Quoted strings may carry 8-bit text only as valid UTF-8 (RFC 9051 /
// UTF8=ACCEPT; rev1 clients never send it); atoms are 7-bit; a NUL is only possible inside a
// literal8. Bounded by ParseLimits (nesting depth, argument count). Errors are
// kInvalid/kLimit with field "syntax": reply tagged BAD (response.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"
#include "protocol/imap/types.h"

namespace posthouse::imap {

struct ParseLimits {
  size_t max_depth = 16;    // parenthesis nesting (SEARCH, LIST options, FETCH lists)
  size_t max_args = 10000;  // tokens per command (search keys, fetch items, flags...)
};

// A string argument: `literal8` marks ~{n} (binary data, may contain NUL).
struct Str {
  std::string_view value;
  bool literal8 = false;
};

struct Authenticate {
  std::string_view mechanism;               // upper-case not guaranteed
  std::optional<std::string_view> initial;  // SASL-IR; "=" means empty
};
struct Login {
  std::string_view user, password;  // password is a secret: never log
};
struct Enable {
  std::vector<std::string_view> capabilities;
};
struct Select {
  std::string_view mailbox;
  bool condstore = false;
  struct Qresync {
    uint32_t uidvalidity = 0;
    uint64_t modseq = 0;
    std::optional<SequenceSet> known_uids;
    std::optional<SequenceSet> seq_match, uid_match;
  };
  std::optional<Qresync> qresync;
};
struct MailboxArg {  // CREATE, DELETE, SUBSCRIBE, UNSUBSCRIBE, GETQUOTAROOT
  std::string_view mailbox;
  std::vector<std::string_view> special_use;  // CREATE (USE (\Drafts ...)), RFC 6154
};
struct Rename {
  std::string_view from, to;
};
struct List {
  // LIST-EXTENDED selection options
  bool subscribed = false, remote = false, recursive_match = false, special_use_sel = false;
  std::string_view reference;
  std::vector<std::string_view> patterns;  // one, or several in "(a b)"
  // return options
  bool ret_subscribed = false, ret_children = false, ret_special_use = false;
  std::vector<std::string_view> ret_status;  // RETURN (STATUS (MESSAGES UNSEEN ...))
  bool extended = false;                     // any LIST-EXTENDED syntax was used
};
struct Status {
  std::string_view mailbox;
  // Each one of MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE DELETED HIGHESTMODSEQ
  // APPENDLIMIT MAILBOXID (case-insensitive; anything else is a syntax error).
  std::vector<std::string_view> items;
};
// One message of APPEND (MULTIAPPEND sends several) or REPLACE.
struct AppendMessage {
  std::vector<std::string_view> flags;
  std::optional<DateTime> date;
  Str message;
  bool utf8 = false;  // "UTF8 (~{n} ...)" form (RFC 9051 / 6855)
};
struct Append {
  std::string_view mailbox;
  std::vector<AppendMessage> messages;  // at least one; more with MULTIAPPEND (RFC 3502)
};
// REPLACE / UID REPLACE (RFC 8508): `target` is a sequence number, or a UID for UID REPLACE.
struct Replace {
  uint32_t target = 0;
  std::string_view mailbox;
  AppendMessage message;
};
struct Compress {
  std::string_view mechanism;  // only DEFLATE is known (RFC 4978)
};

// SEARCH keys as a tree. Leaves carry their argument in the matching member.
struct SearchKey {
  enum class Kind {
    kAll,
    kAnswered,
    kDeleted,
    kDraft,
    kFlagged,
    kNew,
    kOld,
    kRecent,
    kSeen,
    kUnanswered,
    kUndeleted,
    kUndraft,
    kUnflagged,
    kUnseen,
    kKeyword,
    kUnkeyword,  // text = flag
    kBcc,
    kBody,
    kCc,
    kFrom,
    kSubject,
    kText,
    kTo,      // text
    kHeader,  // header + text
    kBefore,
    kOn,
    kSince,
    kSentBefore,
    kSentOn,
    kSentSince,  // date
    kLarger,
    kSmaller,  // number
    kUid,
    kSequence,  // set
    kModseq,    // number (+ entry name/type)
    kOlder,
    kYounger,  // number (RFC 5032 WITHIN)
    kSavedBefore,
    kSavedOn,
    kSavedSince,         // date (RFC 8514)
    kSaveDateSupported,  // no argument (RFC 8514)
    kEmailId,
    kThreadId,  // text: an object id (RFC 8474)
    kNot,
    kOr,
    kAnd,  // children
  };
  Kind kind = Kind::kAll;
  std::string_view text;
  std::string_view header;
  Date date;
  uint64_t number = 0;
  SequenceSet set;
  std::vector<SearchKey> children;  // kNot: 1, kOr: 2, kAnd: n (parenthesised list / top)
};

// ESEARCH RETURN (...) (RFC 4731/5182/5267/9051); `esearch` true when RETURN was given.
// "RETURN ()" sets all (RFC 4731 3.1).
struct SearchReturn {
  bool esearch = false;
  bool min = false, max = false, all = false, count = false, save = false;
};

struct Search {
  std::optional<std::string_view> charset;
  SearchReturn ret;
  SearchKey key;  // kAnd of the top-level keys
};

struct Section {
  std::vector<uint32_t> part;  // "1.2.3"
  enum class Text { kNone, kHeader, kHeaderFields, kHeaderFieldsNot, kText, kMime };
  Text text = Text::kNone;
  std::vector<std::string_view> fields;
};

struct FetchAtt {
  enum class Kind {
    kEnvelope,
    kFlags,
    kInternalDate,
    kRfc822,
    kRfc822Header,
    kRfc822Size,
    kRfc822Text,
    kBody,  // BODY without section: non-extensible BODYSTRUCTURE
    kBodyStructure,
    kUid,
    kModseq,
    kBodySection,  // BODY[...] / BODY.PEEK[...]
    kBinary,       // BINARY[...] / BINARY.PEEK[...]
    kBinarySize,   // BINARY.SIZE[...]
    kSaveDate,
    kEmailId,
    kThreadId,
    kPreview,  // PREVIEW, PREVIEW (LAZY) (RFC 8970); `peek` carries LAZY
  };
  Kind kind = Kind::kFlags;
  bool peek = false;
  Section section;
  std::optional<std::pair<uint32_t, uint32_t>> partial;  // <offset.count>
};

struct Fetch {
  SequenceSet set;
  std::vector<FetchAtt> items;  // macros ALL/FAST/FULL expanded
  std::optional<uint64_t> changed_since;
  bool vanished = false;
};

struct Store {
  SequenceSet set;
  enum class Mode { kReplace, kAdd, kRemove };
  Mode mode = Mode::kReplace;
  bool silent = false;
  std::vector<std::string_view> flags;
  std::optional<uint64_t> unchanged_since;
};
struct CopyMove {
  SequenceSet set;
  std::string_view mailbox;
};
struct Expunge {
  std::optional<SequenceSet> uids;  // UID EXPUNGE
};
struct Id {
  std::vector<std::pair<std::string_view, std::optional<std::string_view>>> fields;  // NIL = none
};
struct QuotaRoot {  // GETQUOTA root
  std::string_view root;
};
struct SetQuota {
  std::string_view root;
  std::vector<std::pair<std::string_view, uint64_t>> limits;  // (STORAGE 512 MESSAGE 1000)
};
struct SortCriterion {
  enum class Key { kArrival, kCc, kDate, kFrom, kSize, kSubject, kTo, kDisplayFrom, kDisplayTo };
  Key key = Key::kArrival;
  bool reverse = false;
};
struct Sort {
  std::vector<SortCriterion> criteria;
  std::string_view charset;
  SearchReturn ret;  // ESORT (RFC 5267)
  SearchKey key;
};
struct Thread {
  enum class Algorithm { kReferences, kOrderedSubject };
  Algorithm algorithm = Algorithm::kReferences;
  std::string_view charset;
  SearchKey key;
};

enum class CommandKind {
  kCapability,
  kNoop,
  kLogout,
  kStartTls,
  kAuthenticate,
  kLogin,
  kEnable,
  kSelect,
  kExamine,
  kCreate,
  kDelete,
  kRename,
  kSubscribe,
  kUnsubscribe,
  kList,
  kLsub,
  kNamespace,
  kStatus,
  kAppend,
  kIdle,
  kCheck,
  kClose,
  kUnselect,
  kExpunge,
  kSearch,
  kFetch,
  kStore,
  kCopy,
  kMove,
  kId,
  kGetQuota,
  kGetQuotaRoot,
  kSetQuota,
  kSort,
  kThread,
  kReplace,
  kCompress,
};
std::string_view command_name(CommandKind k);

struct Command {
  std::string_view tag;
  CommandKind kind = CommandKind::kNoop;
  bool uid = false;  // "UID FETCH/STORE/COPY/MOVE/SEARCH/EXPUNGE/SORT/THREAD/REPLACE"
  std::variant<std::monostate, Authenticate, Login, Enable, Select, MailboxArg, Rename, List,
               Status, Append, Search, Fetch, Store, CopyMove, Expunge, Id, QuotaRoot, SetQuota,
               Sort, Thread, Replace, Compress>
      args;
};

// Parses one command in the reader's raw form; `raw` is modified in place (unescaping).
// On error, the error's field is "syntax"; tag_out (if given) receives the tag if it was valid.
base::Result<Command> parse_command(std::string& raw, const ParseLimits& limits = {},
                                    std::string_view* tag_out = nullptr);

// True if `line` (without CRLF) is the DONE that ends IDLE (RFC 2177; case-insensitive).
bool is_idle_done(std::string_view line);

}  // namespace posthouse::imap
