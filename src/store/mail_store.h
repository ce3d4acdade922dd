// MailStore: the message store behind SMTP delivery, IMAP, POP3 (and later JMAP).
//
// Model: a *mailbox* (an account; its INTEGER id comes from the directory, the store keeps
// no reference to directory tables) has *folders* (INBOX, Sent, ...; hierarchy separator '/',
// names UTF-8; IMAP converts modified UTF-7). A folder has UIDVALIDITY, UIDNEXT and
// HIGHESTMODSEQ; each message has a UID (strictly increasing per folder, never reused), a
// MODSEQ (CONDSTORE, RFC 7162), system flags and keywords, INTERNALDATE, size, and the
// precomputed ENVELOPE / BODYSTRUCTURE / BODY / part map / header summary of its body, so
// listing and fetching never reparse. Bodies are content-addressed blobs (blob_store.h).
//
// Contract for every implementation (sqlite now, postgres later; same test suite):
// - Thread-safe: any thread may call any method concurrently.
// - Every mutation is atomic and durable when it returns OK (or when its callback reports
//   OK): a message is acknowledged only after body and metadata are on stable storage.
//   On error nothing of that call is visible.
// - Every call names the mailbox; a folder id of another mailbox is answered kNotFound, so
//   one session can never touch another account's mail.
// - Errors: kNotFound (no such mailbox/folder/message), kConflict (folder exists), kInvalid
//   (bad name, bad argument), kLimit (quota: over the byte or message limit), kTooLarge
//   (message over Options' size limit), kTemporary (disk full, busy; retry later: SMTP 451),
//   kIo (storage failure).
// - Quota usage (bytes and messages per mailbox) is exact: changed in the same transaction as
//   the messages.
// - Change callbacks (watch) run after the commit, on a store thread: they must not block
//   (post to your own executor) and must not call back into the store synchronously.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace posthouse::store {

using MailboxId = int64_t;
using FolderId = int64_t;
using Uid = uint32_t;
using ModSeq = uint64_t;

inline constexpr char kFolderSeparator = '/';
inline constexpr Uid kMaxUid = std::numeric_limits<Uid>::max();

// System flags as bits. \Recent is not stored (it is per-session state in IMAP4rev1 and gone
// from IMAP4rev2).
enum SystemFlag : uint32_t {
  kSeen = 1,
  kAnswered = 2,
  kFlagged = 4,
  kDeleted = 8,
  kDraft = 16,
};

struct Flags {
  uint32_t system = 0;
  std::vector<std::string> keywords;  // sorted, unique, case-sensitive atoms ("$Forwarded")
  bool operator==(const Flags&) const = default;
};

// A folder to create with a new mailbox. special_use is an RFC 6154 attribute ("\\Sent") or "".
struct FolderSpec {
  std::string name;
  std::string special_use;
  bool subscribed = true;
};
// INBOX, Sent, Drafts, Trash, Junk, Archive with their special-use attributes.
std::vector<FolderSpec> default_folders();

struct FolderInfo {
  FolderId id = 0;
  MailboxId mailbox_id = 0;
  std::string name;
  std::string special_use;
  uint32_t uidvalidity = 0;
  Uid uidnext = 1;
  ModSeq highestmodseq = 0;
  bool subscribed = false;
};

struct FolderStatus {
  uint32_t messages = 0;
  uint32_t unseen = 0;
  uint32_t deleted = 0;
  Uid uidnext = 1;
  uint32_t uidvalidity = 0;
  uint64_t size = 0;  // octets (RFC 8438 STATUS SIZE)
  ModSeq highestmodseq = 0;
  Uid first_unseen_uid = 0;  // 0 when none
};

struct Quota {
  uint64_t used_bytes = 0;
  uint64_t used_messages = 0;
  std::optional<uint64_t> limit_bytes;     // none: unlimited
  std::optional<uint64_t> limit_messages;  // none: unlimited
};

// Inclusive UID range; a set is a list of ranges (any order, overlaps allowed).
struct UidRange {
  Uid first = 1;
  Uid last = kMaxUid;
};
using UidSet = std::vector<UidRange>;
inline UidSet all_uids() { return {UidRange{1, kMaxUid}}; }

// The decoded header values SEARCH, SORT and THREAD use (see mime::HeaderSummary).
struct HeaderInfo {
  std::string subject, base_subject;
  std::string from, to, cc, bcc;
  std::string sort_from, sort_to, sort_cc;
  std::string message_id, in_reply_to;
  std::vector<std::string> references;
  std::optional<int64_t> date;
};

struct MessageMeta {
  Uid uid = 0;
  ModSeq modseq = 0;
  Flags flags;
  int64_t internaldate = 0;  // seconds since the epoch
  int64_t savedate = 0;      // when it was saved in this folder (RFC 8514): append, copy, move
  uint64_t size = 0;         // RFC822.SIZE
  uint64_t header_size = 0;  // octets of the top-level header, blank line included
  std::string blob;          // sha256 hex of the body (stable id; same body, same id)
  // Filled when FetchOptions::structure is set:
  std::string envelope, bodystructure, body, part_map;  // part_map: mime::PartMap::serialize()
  // Filled when FetchOptions::headers is set:
  std::optional<HeaderInfo> headers;
};

struct FetchOptions {
  // Only uid, modseq, flags, internaldate and size (FETCH FLAGS, SELECT, POP3 LIST): skips
  // the body table entirely. Ignores structure and headers.
  bool flags_only = false;
  bool structure = false;
  bool headers = false;
  // Only messages with modseq > changed_since (CONDSTORE FETCH CHANGEDSINCE, QRESYNC).
  std::optional<ModSeq> changed_since;
};

// One message of an append_many() (IMAP MULTIAPPEND, REPLACE).
struct AppendItem {
  std::string raw;
  int64_t internaldate = 0;  // 0: now
  Flags flags;
};
// The message a REPLACE supersedes: expunged in the same transaction as the append.
struct ReplaceOf {
  FolderId folder = 0;
  Uid uid = 0;
};
struct Appended {
  MailboxId mailbox_id = 0;
  FolderId folder_id = 0;
  uint32_t uidvalidity = 0;
  Uid uid = 0;
  ModSeq modseq = 0;
};

inline constexpr size_t kMaxRecipients = 10000;  // per Delivery; more is kLimit

struct Delivery {
  std::vector<MailboxId> recipients;  // local mailboxes; duplicates get one copy each
  std::string folder = "INBOX";       // missing folder → INBOX
  std::string raw;                    // the message as it will be stored
  int64_t internaldate = 0;           // seconds since the epoch; 0: now
  Flags flags;
};
// One result per recipient, in order; one recipient's failure (quota) does not fail others.
using DeliveryResult = std::vector<base::Result<Appended>>;

enum class FlagOp { kAdd, kRemove, kReplace };

struct FlagUpdate {
  Uid uid = 0;
  ModSeq modseq = 0;
  Flags flags;
  bool changed = false;  // false: flags were already so; modseq unchanged
};
struct StoreFlagsResult {
  std::vector<FlagUpdate> updated;  // every matched message not in `modified`
  std::vector<Uid> modified;        // UNCHANGEDSINCE failed (RFC 7162 [MODIFIED ...])
  ModSeq highestmodseq = 0;
};

struct ExpungeResult {
  std::vector<Uid> uids;  // ascending
  ModSeq modseq = 0;      // the modseq recorded for them (VANISHED)
};

struct AppendManyResult {
  std::vector<Appended> appended;  // in the order of the items
  ExpungeResult replaced;          // the ReplaceOf message's UID when there was one
};

struct CopyResult {
  uint32_t dest_uidvalidity = 0;
  std::vector<std::pair<Uid, Uid>> uids;  // (source, destination), ascending source
};

struct Change {
  enum class Kind { kAppend, kFlags, kExpunge, kFolder };
  MailboxId mailbox_id = 0;
  FolderId folder_id = 0;
  Kind kind = Kind::kAppend;
  Uid uidnext = 0;
  ModSeq highestmodseq = 0;
};
using ChangeCallback = std::function<void(const Change&)>;

struct CheckReport {
  std::vector<std::string> problems;  // one line each, human readable
  uint64_t repaired = 0;
  bool ok() const { return problems.empty(); }
};

class MailStore {
 public:
  virtual ~MailStore() = default;

  // --- provisioning (called by the directory) ---
  // Creates the mailbox and any missing folders of `folders`; existing ones are kept.
  virtual base::Status ensure_mailbox(MailboxId mb, const std::vector<FolderSpec>& folders) = 0;
  // Limits enforced by deliver/append/copy (kLimit); nullopt means unlimited.
  virtual base::Status set_quota(MailboxId mb, std::optional<uint64_t> bytes,
                                 std::optional<uint64_t> messages) = 0;
  virtual base::Result<Quota> quota(MailboxId mb) = 0;
  // Purges a mailbox: every folder and message (bodies are released).
  virtual base::Status delete_mailbox(MailboxId mb) = 0;

  // --- delivery (SMTP, LMTP, local) and APPEND ---
  // Blocks until durable. A recipient whose mailbox does not exist gets kNotFound.
  virtual DeliveryResult deliver(Delivery d) = 0;
  // Same, completing `done` on a store thread after the commit; never blocks on I/O. Parsing
  // and hashing (CPU, proportional to the message) run on the calling thread, and refusals
  // found there (kTooLarge, kInvalid flags, too many recipients) complete `done` inline.
  virtual void deliver_async(Delivery d, std::function<void(DeliveryResult)> done) = 0;
  virtual base::Result<Appended> append(MailboxId mb, FolderId folder, std::string raw,
                                        int64_t internaldate, Flags flags) = 0;
  virtual void append_async(MailboxId mb, FolderId folder, std::string raw, int64_t internaldate,
                            Flags flags, std::function<void(base::Result<Appended>)> done) = 0;
  // Several messages into one folder in one transaction: all are appended or none (IMAP
  // MULTIAPPEND). With `replaces`, that message is expunged in the same transaction, whatever
  // its flags (IMAP REPLACE); a replaced message that no longer exists is not an error.
  virtual base::Result<AppendManyResult> append_many(MailboxId mb, FolderId folder,
                                                     std::vector<AppendItem> items,
                                                     std::optional<ReplaceOf> replaces) = 0;

  // --- folders ---
  virtual base::Result<std::vector<FolderInfo>> list_folders(MailboxId mb) = 0;
  virtual base::Result<FolderInfo> folder(MailboxId mb, std::string_view name) = 0;
  // Creates missing parents too ("a/b/c" creates "a" and "a/b").
  virtual base::Result<FolderInfo> create_folder(MailboxId mb, std::string_view name,
                                                 std::string_view special_use = {}) = 0;
  // Deletes the folder and its messages; children stay. INBOX cannot be deleted.
  virtual base::Status delete_folder(MailboxId mb, FolderId folder) = 0;
  // Renames the folder and its children. Renaming INBOX moves its messages to a new folder
  // and leaves INBOX empty (RFC 3501 section 6.3.5).
  virtual base::Status rename_folder(MailboxId mb, FolderId folder, std::string_view new_name) = 0;
  virtual base::Status set_subscribed(MailboxId mb, FolderId folder, bool subscribed) = 0;
  virtual base::Result<FolderStatus> status(MailboxId mb, FolderId folder) = 0;

  // --- messages ---
  // All UIDs of the folder, ascending (SELECT builds its sequence map from this).
  virtual base::Result<std::vector<Uid>> uids(MailboxId mb, FolderId folder) = 0;
  // Metadata of the messages in `set` (ascending UID).
  virtual base::Result<std::vector<MessageMeta>> fetch(MailboxId mb, FolderId folder,
                                                       const UidSet& set,
                                                       const FetchOptions& opts) = 0;
  // Metadata by sequence numbers (1-based, inclusive) of the folder as it is now.
  virtual base::Result<std::vector<MessageMeta>> fetch_seq(MailboxId mb, FolderId folder,
                                                           uint32_t first, uint32_t last,
                                                           const FetchOptions& opts) = 0;
  // UIDs expunged with modseq > since (QRESYNC VANISHED (EARLIER)), ascending. Expunge
  // records are kept for the life of the folder.
  virtual base::Result<std::vector<Uid>> expunged_since(MailboxId mb, FolderId folder,
                                                        ModSeq since) = 0;
  // Octets [offset, offset+length) of the stored message (clamped to its size).
  virtual base::Result<std::string> read(
      MailboxId mb, FolderId folder, Uid uid, uint64_t offset = 0,
      uint64_t length = std::numeric_limits<uint64_t>::max()) = 0;
  // SEARCH SUBJECT/BODY/TEXT through a full-text index: the UIDs (ascending) of the folder's
  // messages whose decoded subject, decoded body text (mime/search_text.h) or, for kText,
  // header or body text contain `needle` (ASCII case-insensitive, as a scan matches). nullopt
  // when the store keeps no index (the caller scans instead).
  enum class TextField { kSubject, kBody, kText };
  virtual base::Result<std::optional<std::vector<Uid>>> search_text(MailboxId mb, FolderId folder,
                                                                    TextField field,
                                                                    std::string_view needle) {
    (void)mb, (void)folder, (void)field, (void)needle;
    return std::optional<std::vector<Uid>>();
  }
  virtual base::Result<StoreFlagsResult> store_flags(MailboxId mb, FolderId folder,
                                                     const UidSet& set, FlagOp op,
                                                     const Flags& flags,
                                                     std::optional<ModSeq> unchanged_since) = 0;
  // Expunges messages flagged \Deleted; with `only`, just those among them (UID EXPUNGE).
  virtual base::Result<ExpungeResult> expunge(MailboxId mb, FolderId folder,
                                              const std::optional<UidSet>& only) = 0;
  virtual base::Result<CopyResult> copy(MailboxId mb, FolderId from, const UidSet& set,
                                        FolderId to) = 0;
  // Copy + expunge of the sources in one transaction; quota unchanged.
  virtual base::Result<CopyResult> move(MailboxId mb, FolderId from, const UidSet& set,
                                        FolderId to) = 0;

  // --- change notification (IDLE, NOTIFY) ---
  // Returns a token for unwatch(). The callback receives every committed change of `mb`.
  virtual uint64_t watch(MailboxId mb, ChangeCallback cb) = 0;
  // After unwatch() returns, the callback is not running and will not run again.
  virtual void unwatch(uint64_t token) = 0;

  // --- maintenance ---
  // Verifies metadata ↔ blobs ↔ quota ↔ folder counters ↔ reference counts ↔ files; with
  // repair, fixes what can be fixed (counts, usage, UIDNEXT, orphan files and temporaries).
  // Holds the write lock while it runs: a maintenance operation, not a per-request one.
  virtual base::Result<CheckReport> check(bool repair) = 0;
};

}  // namespace posthouse::store
