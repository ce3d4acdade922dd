#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

namespace {
std::string uid_list(const std::vector<store::Uid>& uids) {
  codec::SequenceSet set;
  for (const auto& r : Session::to_uidset(uids)) set.ranges.push_back({r.first, r.last});
  return codec::format_sequence_set(set);
}

// What one COPY or MOVE gives the spam learner at most: the first messages, skipping any
// larger than a classifier needs; the rest of a big move goes unlearnt (logged).
constexpr std::size_t kLearnMessages = 100;
constexpr uint64_t kLearnMessageBytes = 10 << 20;
constexpr uint64_t kLearnTotalBytes = 32 << 20;

struct Done {
  store::CopyResult copy;
  std::optional<bool> spam;        // learn as spam (true) or ham (false)
  std::vector<std::string> learn;  // the copies, as stored
};

// Reads the copies in the target folder to learn from, when the move crosses Junk
// (antispam::learn_direction). A message that cannot be read is skipped: learning is advice.
base::Status collect_for_learning(store::MailStore& mail, store::MailboxId mb,
                                  store::FolderId from, const store::FolderInfo& to, Done& d) {
  auto folders = PH_TRY(mail.list_folders(mb));
  std::string from_special;
  for (const auto& f : folders) {
    if (f.id == from) from_special = f.special_use;
  }
  d.spam = antispam::learn_direction(from_special, to.special_use);
  if (!d.spam) return {};
  uint64_t total = 0;
  for (auto [src, dst] : d.copy.uids) {
    if (d.learn.size() >= kLearnMessages) break;
    auto raw = mail.read(mb, to.id, dst, 0, kLearnMessageBytes + 1);
    if (!raw || raw->size() > kLearnMessageBytes) continue;
    if (total + raw->size() > kLearnTotalBytes) break;
    total += raw->size();
    d.learn.push_back(std::move(*raw));
  }
  if (d.learn.size() < d.copy.uids.size()) {
    spdlog::info("rspamd learning: {} of {} moved message(s) passed on", d.learn.size(),
                 d.copy.uids.size());
  }
  return {};
}
}  // namespace

// COPY and MOVE (RFC 6851) with COPYUID (RFC 4315). MOVE reports COPYUID in an untagged OK
// before the expunges, as RFC 6851 3.3 asks. Into or out of Junk, the copies go to the spam
// learner (when configured) after the store has them.
PH_IMAP_HANDLER(cmd_copy) {
  const auto& a = std::get<codec::CopyMove>(c.args);
  bool move = c.kind == codec::CommandKind::kMove;
  if (move && s.read_only_) {
    s.no(c, "Mailbox is read-only", "READ-ONLY");
    co_return;
  }
  auto name = s.store_name_or_fail(c, a.mailbox);
  if (!name) co_return;
  auto uids = s.resolve(a.set, c.uid);
  auto& mail = s.srv_.mail();
  auto mb = s.mailbox_;
  auto from = s.folder_;
  auto set = Session::to_uidset(uids);
  auto* learner = s.o_.learner.get();
  auto done = co_await s.blocking([&]() -> base::Result<Done> {
    auto to = PH_TRY(s.target_folder(*name));
    Done d;
    if (set.empty()) {
      d.copy = store::CopyResult{to.uidvalidity, {}};
      return d;
    }
    d.copy = PH_TRY(move ? mail.move(mb, from, set, to.id) : mail.copy(mb, from, set, to.id));
    if (learner && !d.copy.uids.empty()) {
      auto st = collect_for_learning(mail, mb, from, to, d);
      if (!st) spdlog::warn("rspamd learning: {}", st.error().message);
    }
    return d;
  });
  if (!done) {
    s.fail(c, done.error());
    co_return;
  }
  if (learner && done->spam) learner->learn(std::move(done->learn), *done->spam, s.user_);
  const store::CopyResult* r = &done->copy;
  std::string code;
  if (!r->uids.empty()) {
    std::vector<store::Uid> src, dst;
    for (auto [x, y] : r->uids) {
      src.push_back(x);
      dst.push_back(y);
    }
    code = fmt::format("COPYUID {} {} {}", r->dest_uidvalidity, uid_list(src), uid_list(dst));
  }
  if (move) {
    if (!code.empty()) s.untagged("OK [" + code + "] Moved");
    std::vector<store::Uid> src;
    for (auto [x, y] : r->uids) src.push_back(x);
    s.report_expunged(src);
    s.ok(c, "MOVE completed");
    co_return;
  }
  s.ok(c, "COPY completed", code);
}

}  // namespace posthouse::server::imap
