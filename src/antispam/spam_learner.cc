#include "antispam/spam_learner.h"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace posthouse::antispam {

std::optional<bool> learn_direction(std::string_view from_special, std::string_view to_special) {
  bool from_junk = from_special == "\\Junk", to_junk = to_special == "\\Junk";
  if (to_junk && !from_junk) return true;
  if (from_junk && !to_junk && to_special != "\\Trash") return false;
  return std::nullopt;
}

SpamLearner::~SpamLearner() {
  pool_.stop();
  pool_.join();
}

void SpamLearner::learn(std::vector<std::string> messages, bool spam, std::string who) {
  if (messages.empty()) return;
  if (pending_.fetch_add(1) >= max_pending_) {
    pending_.fetch_sub(1);
    dropped_ += messages.size();
    spdlog::warn("rspamd learning: {} message(s) of {} not learnt as {}: {} batches waiting",
                 messages.size(), who, spam ? "spam" : "ham", max_pending_);
    return;
  }
  boost::asio::post(pool_, [this, messages = std::move(messages), spam, who = std::move(who)] {
    std::size_t ok = 0, already = 0;
    for (const auto& m : messages) {
      auto r = spam ? client_.learn_spam(m) : client_.learn_ham(m);
      if (r.ok()) {
        ++ok;
      } else if (r.error.find("already learned") != std::string::npos) {
        ++already;
      } else {
        ++failed_;
        spdlog::warn("rspamd learning: a message of {} not learnt as {}: {}", who,
                     spam ? "spam" : "ham", r.error);
      }
    }
    learnt_ += ok;
    spdlog::info("rspamd learnt {} message(s) of {} as {} ({} already learnt)", ok, who,
                 spam ? "spam" : "ham", already);
    pending_.fetch_sub(1);
  });
}

}  // namespace posthouse::antispam
