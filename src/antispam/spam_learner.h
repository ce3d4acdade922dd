// Learning from users: a message a user moves into Junk trains rspamd's Bayes classifier as
// spam; one moved out of Junk to any folder but Trash trains it as ham (the docker-mailserver
// #3333 rule: deleting spam from Junk says nothing about it). Used by the IMAP server's COPY
// and MOVE; what Posthouse files itself (delivery to Junk) never trains.
//
// Contract:
// - learn_direction(): from the source and target folders' special-use attributes (RFC 6154,
//   "\\Junk", "\\Trash", "" for none): true (spam) into Junk from elsewhere, false (ham) out of
//   Junk to anything but Trash, nullopt otherwise (Junk to Junk, Junk to Trash, neither Junk).
// - SpamLearner::learn() never blocks: the messages are sent to the rspamd controller
//   (`/learnspam`, `/learnham`) one by one on the learner's own thread, in the order given.
//   At most max_pending batches wait; beyond, a batch is dropped with a warning (learning is
//   advice, never worth holding a session or memory for). Results are logged: learnt, already
//   learnt (info), errors (warn, never with the password). The counters say what happened.
// - Destruction discards batches not started and waits for the running one (bounded by the
//   client's timeouts).
// - Thread-safe.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "antispam/rspamd_client.h"

namespace posthouse::antispam {

std::optional<bool> learn_direction(std::string_view from_special, std::string_view to_special);

class SpamLearner {
 public:
  SpamLearner(RspamdOptions controller, std::size_t max_pending = 64)
      : client_(std::move(controller)), max_pending_(max_pending) {}
  ~SpamLearner();
  SpamLearner(const SpamLearner&) = delete;
  SpamLearner& operator=(const SpamLearner&) = delete;

  // `who` names the user for the log.
  void learn(std::vector<std::string> messages, bool spam, std::string who);

  uint64_t learnt() const { return learnt_.load(); }
  uint64_t failed() const { return failed_.load(); }
  uint64_t dropped() const { return dropped_.load(); }

 private:
  RspamdClient client_;
  std::size_t max_pending_;
  std::atomic<std::size_t> pending_{0};
  std::atomic<uint64_t> learnt_{0}, failed_{0}, dropped_{0};
  boost::asio::thread_pool pool_{1};  // last: joined before the members its jobs use go
};

}  // namespace posthouse::antispam
