#include "server/imap/session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/strings.h"
#include "net/close.h"
#include "protocol/imap/mutf7.h"
#include "server/imap/commands/commands.h"

namespace posthouse::server::imap {

using base::Errc;
using base::Error;

namespace {
// Output is written once this much is pending: bounds memory per connection while batching.
constexpr size_t kSlice = 64 * 1024;
// RFC 7888 section 5: with LITERAL- a non-synchronizing literal may hold at most 4096 octets.
constexpr uint64_t kLiteralMinusMax = 4096;
}  // namespace

Session::Session(ImapServer& srv, std::shared_ptr<net::Connection> conn)
    : srv_(srv),
      o_(srv.options()),
      conn_(std::move(conn)),
      rate_(o_.command_rate, o_.command_burst) {
  codec::ReaderLimits rl;
  rl.max_line = o_.max_line_bytes;
  rl.max_literal = o_.append_limit;
  rl.max_nonsync_literal = o_.literal_plus ? o_.append_limit : kLiteralMinusMax;
  rl.max_command = o_.append_limit + 256 * 1024;
  reader_.set_limits(rl);
}

Session::~Session() {
  if (watch_ != 0) srv_.mail().unwatch(watch_);
}

void Session::tagged(const codec::Command& c, codec::Cond cond, std::string_view code,
                     std::string_view text) {
  codec::append_tagged(tagged_, c.tag, cond, code, text);
}

void Session::bad(const codec::Command& c, std::string_view text) {
  tagged(c, codec::Cond::kBad, "", text);
  ++errors_;
}

void Session::fail(const codec::Command& c, const base::Error& e) {
  // Server-side refusals with their own response codes (RFC 3501 TRYCREATE, RFC 5255
  // BADCHARSET); everything else goes through the codec's mapping.
  if (e.field == "trycreate") {
    codec::append_tagged(tagged_, c.tag, codec::Cond::kNo, "TRYCREATE", "Mailbox does not exist");
    return;
  }
  if (e.field == "charset") {
    codec::append_tagged(tagged_, c.tag, codec::Cond::kNo, "BADCHARSET (UTF-8 US-ASCII)",
                         "Unsupported charset");
    return;
  }
  if (e.code == Errc::kLimit && e.message.find("quota") != std::string::npos) {
    Error q = e;
    q.field = "quota";
    tagged_ += codec::error_response(c.tag, q);
    return;
  }
  if (e.code == Errc::kInvalid && e.field.empty()) {
    Error q = e;
    q.field = "syntax";
    tagged_ += codec::error_response(c.tag, q);
    ++errors_;
    return;
  }
  tagged_ += codec::error_response(c.tag, e);
}

asio::awaitable<bool> Session::flush(bool force) {
  if (out_.empty() || (!force && out_.size() < kSlice)) co_return !conn_->closed();
  auto st = co_await conn_->write(out_);
  out_.clear();
  if (out_.capacity() > 4 * kSlice) out_.shrink_to_fit();
  co_return st.ok();
}

base::Result<std::string> Session::store_name(std::string_view wire) const {
  std::string name;
  if (utf8_) {
    name = std::string(wire);
  } else {
    auto d = codec::mutf7_decode(wire);
    if (!d) return Error(Errc::kInvalid, "Invalid modified UTF-7 mailbox name", "mailbox");
    name = std::move(*d);
  }
  if (base::iequals(name, "INBOX")) return std::string("INBOX");
  if (base::istarts_with(name, "INBOX/")) name = "INBOX" + name.substr(5);
  if (auto st = codec::check_mailbox_name(name, store::kFolderSeparator); !st) {
    return Error(Errc::kInvalid, "Invalid mailbox name", "mailbox");
  }
  return name;
}

std::optional<std::string> Session::store_name_or_fail(const codec::Command& c,
                                                       std::string_view wire) {
  auto name = store_name(wire);
  if (!name) {
    fail(c, name.error());
    return std::nullopt;
  }
  return std::move(*name);
}

base::Result<store::FolderInfo> Session::target_folder(const std::string& name) {
  auto f = srv_.mail().folder(mailbox_, name);
  if (!f && f.error().code == Errc::kNotFound) {
    return Error(Errc::kNotFound, "no such mailbox", "trycreate");
  }
  return f;
}

std::string Session::wire_name(std::string_view store) const {
  if (utf8_) return std::string(store);
  auto e = codec::mutf7_encode(store);
  return e ? *e : std::string(store);
}

void Session::append_mailbox(std::string& out, std::string_view store) const {
  codec::append_astring(out, wire_name(store), utf8_);
}

std::vector<store::Uid> Session::resolve(const codec::SequenceSet& set, bool uid) const {
  std::vector<store::Uid> r;
  if (set.saved) {
    for (auto u : saved_) {
      if (std::binary_search(uids_.begin(), uids_.end(), u)) r.push_back(u);
    }
    return r;
  }
  if (uids_.empty()) return r;
  if (!uid) {
    uint32_t max = static_cast<uint32_t>(uids_.size());
    for (const auto& rg : set.normalized(max)) {
      uint32_t a = std::max<uint32_t>(rg.first, 1), b = std::min(rg.last, max);
      for (uint32_t i = a; i <= b && i >= 1; ++i) r.push_back(uids_[i - 1]);
    }
  } else {
    for (const auto& rg : set.normalized(uids_.back())) {
      auto it = std::lower_bound(uids_.begin(), uids_.end(), rg.first);
      for (; it != uids_.end() && *it <= rg.last; ++it) r.push_back(*it);
    }
  }
  std::sort(r.begin(), r.end());
  r.erase(std::unique(r.begin(), r.end()), r.end());
  return r;
}

store::UidSet Session::to_uidset(const std::vector<store::Uid>& uids) {
  store::UidSet s;
  for (auto u : uids) {
    if (!s.empty() && s.back().last + 1 == u) {
      s.back().last = u;
    } else {
      s.push_back(store::UidRange{u, u});
    }
  }
  return s;
}

uint32_t Session::seq_of(store::Uid uid) const {
  auto it = std::lower_bound(uids_.begin(), uids_.end(), uid);
  if (it == uids_.end() || *it != uid) return 0;
  return static_cast<uint32_t>(it - uids_.begin()) + 1;
}

bool Session::is_recent(store::Uid uid) const {
  for (const auto& r : recent_) {
    if (uid >= r.first && uid <= r.last) return true;
  }
  return false;
}

size_t Session::recent_count() const {
  size_t n = 0;
  for (const auto& r : recent_) {
    auto lo = std::lower_bound(uids_.begin(), uids_.end(), r.first);
    auto hi = std::upper_bound(uids_.begin(), uids_.end(), r.last);
    if (hi > lo) n += static_cast<size_t>(hi - lo);
  }
  return n;
}

void Session::claim_recent(store::Uid upto) {
  if (rev2_ || read_only_ || upto == 0) return;
  auto [old, mark] = srv_.claim_recent(folder_, upto);
  if (mark > old) recent_.push_back(store::UidRange{old + 1, mark});
}

void Session::append_flags(std::string& out, const store::Flags& f, store::Uid uid) const {
  out += '(';
  size_t start = out.size();
  auto add = [&](std::string_view s) {
    if (out.size() > start) out += ' ';
    out += s;
  };
  if (f.system & store::kSeen) add("\\Seen");
  if (f.system & store::kAnswered) add("\\Answered");
  if (f.system & store::kFlagged) add("\\Flagged");
  if (f.system & store::kDeleted) add("\\Deleted");
  if (f.system & store::kDraft) add("\\Draft");
  if (uid != 0 && !rev2_ && is_recent(uid)) add("\\Recent");
  for (const auto& k : f.keywords) add(k);
  out += ')';
}

base::Result<store::Flags> Session::parse_flags(const std::vector<std::string_view>& in) {
  store::Flags f;
  for (auto v : in) {
    if (!v.empty() && v[0] == '\\') {
      if (base::iequals(v, "\\Seen")) {
        f.system |= store::kSeen;
      } else if (base::iequals(v, "\\Answered")) {
        f.system |= store::kAnswered;
      } else if (base::iequals(v, "\\Flagged")) {
        f.system |= store::kFlagged;
      } else if (base::iequals(v, "\\Deleted")) {
        f.system |= store::kDeleted;
      } else if (base::iequals(v, "\\Draft")) {
        f.system |= store::kDraft;
      } else if (base::iequals(v, "\\Recent")) {
        continue;  // not stored (RFC 3501: cannot be set by STORE/APPEND); ignored
      } else {
        return Error(Errc::kInvalid, "Invalid system flag", "syntax");
      }
    } else {
      f.keywords.emplace_back(v);
    }
  }
  std::sort(f.keywords.begin(), f.keywords.end());
  f.keywords.erase(std::unique(f.keywords.begin(), f.keywords.end()), f.keywords.end());
  return f;
}

void Session::report_expunged(const std::vector<store::Uid>& uids) {
  std::vector<store::Uid> gone;
  for (auto u : uids) {
    if (std::binary_search(uids_.begin(), uids_.end(), u)) gone.push_back(u);
  }
  if (gone.empty()) return;
  if (qresync_ || uidonly_) {
    untagged(fmt::format("VANISHED {}", codec::format_sequence_set([&] {
                           codec::SequenceSet s;
                           for (const auto& r : to_uidset(gone))
                             s.ranges.push_back({r.first, r.last});
                           return s;
                         }())));
    std::vector<store::Uid> keep;
    keep.reserve(uids_.size());
    std::set_difference(uids_.begin(), uids_.end(), gone.begin(), gone.end(),
                        std::back_inserter(keep));
    uids_ = std::move(keep);
    return;
  }
  // Descending, so each number is valid at the moment it is sent (RFC 3501 7.4.1).
  for (auto it = gone.rbegin(); it != gone.rend(); ++it) {
    uint32_t seq = seq_of(*it);
    untagged(fmt::format("{} EXPUNGE", seq));
    uids_.erase(uids_.begin() + (seq - 1));
  }
}

asio::awaitable<void> Session::sync(bool allow_expunge) {
  if (state_ != State::kSelected) co_return;
  auto& mail = srv_.mail();
  store::MailboxId mb = mailbox_;
  store::FolderId f = folder_;
  store::ModSeq known = known_modseq_;
  store::Uid next = uidnext_;
  struct Delta {
    store::FolderStatus st;
    std::vector<store::Uid> expunged;
    std::vector<store::MessageMeta> changed;  // flags changed or new
  };
  auto r = co_await blocking([&, allow_expunge]() -> base::Result<Delta> {
    Delta d;
    d.st = PH_TRY(mail.status(mb, f));
    if (d.st.highestmodseq == known && d.st.uidnext == next) return d;
    store::FetchOptions fo;
    fo.flags_only = true;
    if (allow_expunge) {
      if (d.st.highestmodseq != known) d.expunged = PH_TRY(mail.expunged_since(mb, f, known));
      fo.changed_since = known;
      d.changed = PH_TRY(mail.fetch(mb, f, store::all_uids(), fo));
    } else if (d.st.uidnext != next) {
      d.changed = PH_TRY(mail.fetch(mb, f, {store::UidRange{next, store::kMaxUid}}, fo));
    }
    return d;
  });
  if (!r) co_return;
  if (allow_expunge) report_expunged(r->expunged);
  size_t before = uids_.size();
  store::Uid old_max = uids_.empty() ? 0 : uids_.back();
  std::string line;
  for (const auto& m : r->changed) {
    if (m.uid >= uidnext_) {
      uids_.push_back(m.uid);
      uidnext_ = m.uid + 1;
    }
  }
  if (uids_.size() != before) {
    untagged(fmt::format("{} EXISTS", uids_.size()));
    if (!rev2_) {
      claim_recent(uids_.back());
      untagged(fmt::format("{} RECENT", recent_count()));
    }
  }
  if (allow_expunge) {
    for (const auto& m : r->changed) {
      uint32_t seq = seq_of(m.uid);
      if (seq == 0 || m.uid > old_max) continue;  // new: announced by EXISTS
      line = fetch_open(seq, m.uid);
      if ((condstore_ || qresync_) && !uidonly_) line += fmt::format("UID {} ", m.uid);
      if (condstore_ || qresync_) line += fmt::format("MODSEQ ({}) ", m.modseq);
      line += "FLAGS ";
      append_flags(line, m.flags, m.uid);
      line += ')';
      untagged(line);
    }
    known_modseq_ = std::max(known_modseq_, r->st.highestmodseq);
  }
}

std::string Session::fetch_open(uint32_t seq, store::Uid uid) const {
  return uidonly_ ? fmt::format("{} UIDFETCH (", uid) : fmt::format("{} FETCH (", seq);
}

namespace {

bool names_sequence_numbers(const codec::SearchKey& k) {
  if (k.kind == codec::SearchKey::Kind::kSequence) return true;
  for (const auto& ch : k.children) {
    if (names_sequence_numbers(ch)) return true;
  }
  return false;
}

}  // namespace

bool Session::refuse_sequence_numbers(const codec::Command& c) {
  if (!uidonly_) return false;
  using CK = codec::CommandKind;
  bool seq = false;
  switch (c.kind) {
    case CK::kFetch:
    case CK::kStore:
    case CK::kCopy:
    case CK::kMove:
    case CK::kReplace:
      seq = !c.uid;
      break;
    case CK::kSearch:
      seq = !c.uid || names_sequence_numbers(std::get<codec::Search>(c.args).key);
      break;
    case CK::kSort:
      seq = !c.uid || names_sequence_numbers(std::get<codec::Sort>(c.args).key);
      break;
    case CK::kThread:
      seq = !c.uid || names_sequence_numbers(std::get<codec::Thread>(c.args).key);
      break;
    case CK::kSelect:
    case CK::kExamine: {
      const auto& q = std::get<codec::Select>(c.args).qresync;
      seq = q && q->seq_match;
      break;
    }
    default:
      break;
  }
  if (!seq) return false;
  tagged(c, codec::Cond::kBad, "UIDREQUIRED", "Message sequence numbers are off (UIDONLY)");
  return true;
}

void Session::close_folder() {
  state_ = State::kAuthenticated;
  folder_ = 0;
  folder_name_.clear();
  uids_.clear();
  saved_.clear();
  recent_.clear();
}

asio::awaitable<void> Session::run() {
  std::string greet = "[CAPABILITY " + capabilities(*this) + "]";
  codec::append_status(out_, codec::Cond::kOk, greet.substr(1, greet.size() - 2),
                       "Posthouse IMAP ready");
  while (state_ != State::kLogout && !conn_->closed()) {
    if (conn_->buffered() == 0 && !co_await flush()) co_return;
    if (conn_->shutting_down() && !reader_.in_progress()) {
      codec::append_status(out_, codec::Cond::kBye, "", "Server shutting down");
      break;
    }
    if (errors_ >= o_.max_errors) {
      codec::append_status(out_, codec::Cond::kBye, "", "Too many errors");
      break;
    }
    auto data = co_await conn_->peek_some();
    if (!data) co_return;
    auto step = reader_.feed(*data);
    conn_->consume(step.consumed);
    using St = codec::CommandReader::Status;
    if (step.status == St::kNeedMore) continue;
    if (step.status == St::kContinue) {
      out_ += codec::CommandReader::continuation();
      continue;
    }
    if (step.status == St::kError) {
      if (reader_.fatal()) {
        // A non-synchronizing literal over the limit is already on its way: refuse the
        // command (RFC 7888: tagged BAD [TOOBIG]) and close, since its bytes cannot be told
        // from commands.
        if (!reader_.tag().empty() && reader_.error().field == "literal") {
          out_ += codec::error_response(reader_.tag(), reader_.error());
        }
        codec::append_status(out_, codec::Cond::kBye, "", reader_.error().message);
        break;
      }
      out_ += codec::error_response(reader_.tag(), reader_.error());
      ++errors_;
      continue;
    }
    std::string_view tag;
    codec::ParseLimits pl;
    auto cmd = codec::parse_command(reader_.raw(), pl, &tag);
    if (!cmd) {
      out_ += codec::error_response(tag.empty() ? "*" : tag, cmd.error());
      ++errors_;
      continue;
    }
    // Command budget (token bucket) as backpressure: past it the session flushes what it has
    // answered and waits before running the command, so a fast client is slowed, never refused
    // (LOGOUT is never held back).
    if (cmd->kind != codec::CommandKind::kLogout && !co_await pace(*conn_, rate_, out_)) co_return;
    co_await dispatch(*cmd);
  }
  co_await flush();
  co_await net::close_gracefully(conn_);  // BYE, then close_notify; never a reset
}

asio::awaitable<void> Session::dispatch(const codec::Command& c) {
  const CommandSpec& spec = command_spec(c.kind);
  tagged_.clear();
  if (spec.only_unauth && state_ != State::kNotAuthenticated) {
    bad(c, "Already authenticated");
  } else if (spec.min_state == State::kAuthenticated && state_ == State::kNotAuthenticated) {
    bad(c, "Not authenticated: LOGIN first");
  } else if (spec.min_state == State::kSelected && state_ != State::kSelected) {
    bad(c, state_ == State::kNotAuthenticated ? "Not authenticated: LOGIN first"
                                              : "No mailbox selected");
  } else if (!refuse_sequence_numbers(c)) {
    co_await spec.handler(*this, c);
    bool seq_cmd =
        !c.uid && (c.kind == codec::CommandKind::kFetch || c.kind == codec::CommandKind::kStore ||
                   c.kind == codec::CommandKind::kSearch || c.kind == codec::CommandKind::kSort ||
                   c.kind == codec::CommandKind::kThread);
    if (state_ == State::kSelected && c.kind != codec::CommandKind::kIdle) {
      co_await sync(!seq_cmd);
    }
  }
  out_ += tagged_;
  tagged_.clear();
  co_await flush(false);
}

}  // namespace posthouse::server::imap
