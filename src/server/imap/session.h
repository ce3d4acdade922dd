// One IMAP connection's state and the helpers every command handler uses (commands/*.cc).
//
// Contract: lives on the connection's executor; not thread-safe. Handlers append untagged
// data to out_ through the helpers, may flush() (awaited slices: memory stays bounded), and
// end with tagged()/fail(). Store work goes through blocking(): never on the I/O thread.
// The selected folder's sequence map (uids_) changes only in sync() and in the handlers of
// EXPUNGE/MOVE/CLOSE, so sequence numbers stay those the client was told.
#pragma once

#include <boost/asio.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/rate.h"
#include "protocol/imap/command.h"
#include "protocol/imap/reader.h"
#include "protocol/imap/response.h"
#include "server/imap/imap_server.h"
#include "store/mail_store.h"

namespace posthouse::server::imap {

namespace asio = boost::asio;
namespace codec = ::posthouse::imap;

enum class State { kNotAuthenticated, kAuthenticated, kSelected, kLogout };

class Session {
 public:
  Session(ImapServer& srv, std::shared_ptr<net::Connection> conn);
  ~Session();
  asio::awaitable<void> run();
  asio::awaitable<void> dispatch(const codec::Command& c);

  // --- output ---
  void untagged(std::string_view data) { codec::append_untagged(out_, data); }
  void tagged(const codec::Command& c, codec::Cond cond, std::string_view code,
              std::string_view text);
  void ok(const codec::Command& c, std::string_view text, std::string_view code = {}) {
    tagged(c, codec::Cond::kOk, code, text);
  }
  void bad(const codec::Command& c, std::string_view text);
  void no(const codec::Command& c, std::string_view text, std::string_view code = {}) {
    tagged(c, codec::Cond::kNo, code, text);
  }
  // The one mapping from base::Error to a tagged reply (codec::error_response), with store
  // quota refusals marked [OVERQUOTA].
  void fail(const codec::Command& c, const base::Error& e);
  // Writes out_ when it holds more than a slice (or always with force); false: peer gone.
  asio::awaitable<bool> flush(bool force = true);

  // --- blocking work ---
  template <class F>
  auto blocking(F f) {
    return srv_.pool().run(std::move(f));
  }

  // --- mailbox names ---
  // Wire name (modified UTF-7, or UTF-8 after ENABLE UTF8=ACCEPT/IMAP4rev2) -> store name
  // ("INBOX" canonical); kInvalid field "mailbox" for bad names.
  base::Result<std::string> store_name(std::string_view wire) const;
  std::string wire_name(std::string_view store) const;
  // store_name() for a handler: for a bad name the command is failed (fail()) and nullopt
  // returned, so the handler only has to end.
  std::optional<std::string> store_name_or_fail(const codec::Command& c, std::string_view wire);
  // The folder an APPEND/COPY/MOVE targets; a missing one is kNotFound field "trycreate".
  // Blocking: call inside blocking().
  base::Result<store::FolderInfo> target_folder(const std::string& store_name);
  void append_mailbox(std::string& out, std::string_view store) const;

  // --- selected folder ---
  bool selected() const { return state_ == State::kSelected; }
  // The UIDs of `set` (sequence numbers or UIDs) that exist in the map, ascending; "$" is the
  // saved search result.
  std::vector<store::Uid> resolve(const codec::SequenceSet& set, bool uid) const;
  static store::UidSet to_uidset(const std::vector<store::Uid>& uids);
  // Sequence number of a UID in the map, 0 when absent.
  uint32_t seq_of(store::Uid uid) const;
  // Reports changes made by others since the last sync: new messages (EXISTS), flag changes
  // (FETCH), and, when allow_expunge, expunges (EXPUNGE or VANISHED).
  asio::awaitable<void> sync(bool allow_expunge);
  // Removes expunged UIDs from the map, reporting EXPUNGE (or VANISHED with QRESYNC).
  void report_expunged(const std::vector<store::Uid>& uids);
  // After this session's own flag change: when it is the only change since the last sync
  // (one modseq per store call), the next sync need not report it again.
  void own_change(store::ModSeq before, store::ModSeq after) {
    if (known_modseq_ == before && after == before + 1) known_modseq_ = after;
  }
  void close_folder();
  // Opens one untagged FETCH response: "n FETCH (" or, after ENABLE UIDONLY (RFC 9586),
  // "uid UIDFETCH (" — whose number is the UID, so no UID item follows (uid_item() false).
  std::string fetch_open(uint32_t seq, store::Uid uid) const;
  bool uid_item_allowed() const { return !uidonly_; }
  // UIDONLY: a command that names messages by sequence number is BAD [UIDREQUIRED]; true
  // when it replied.
  bool refuse_sequence_numbers(const codec::Command& c);
  // FLAGS list; with a UID, \Recent is added when that message is recent in this session.
  void append_flags(std::string& out, const store::Flags& f, store::Uid uid = 0) const;
  // \Recent (rev1 only): whether a UID is recent for this session, how many of the map are,
  // and taking the folder's not yet claimed UIDs up to `upto` (SELECT, new mail in sync()).
  bool is_recent(store::Uid uid) const;
  size_t recent_count() const;
  void claim_recent(store::Uid upto);
  static base::Result<store::Flags> parse_flags(const std::vector<std::string_view>& in);

  ImapServer& srv_;
  const Options& o_;
  std::shared_ptr<net::Connection> conn_;
  codec::CommandReader reader_;
  std::string out_;
  std::string tagged_;  // the current command's tagged reply, sent after sync()
  State state_ = State::kNotAuthenticated;
  int errors_ = 0;
  net::TokenBucket rate_;

  // authenticated
  store::MailboxId mailbox_ = 0;
  std::string user_;
  bool rev2_ = false, utf8_ = false, condstore_ = false, qresync_ = false, uidonly_ = false;

  // selected
  store::FolderId folder_ = 0;
  std::string folder_name_;
  bool read_only_ = false;
  uint32_t uidvalidity_ = 0;
  store::Uid uidnext_ = 1;
  store::ModSeq known_modseq_ = 0;
  std::vector<store::Uid> uids_;
  std::vector<store::Uid> saved_;        // SEARCHRES "$"
  std::vector<store::UidRange> recent_;  // UIDs recent for this session (rev1)
  uint64_t watch_ = 0;
  // IDLE: the store's watch callback posts a cancel of the wake timer.
  struct Notify {
    asio::steady_timer timer;
    bool pending = false;  // a change arrived since the last sync
    explicit Notify(asio::any_io_executor ex) : timer(ex) {}
  };
  std::shared_ptr<Notify> notify_;
};

}  // namespace posthouse::server::imap
