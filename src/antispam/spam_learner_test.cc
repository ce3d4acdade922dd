#include "antispam/spam_learner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace posthouse::antispam {
namespace {

TEST(SpamLearner, DirectionFollowsTheJunkFolder) {
  EXPECT_EQ(learn_direction("", "\\Junk"), std::optional<bool>(true));
  EXPECT_EQ(learn_direction("\\Sent", "\\Junk"), std::optional<bool>(true));
  EXPECT_EQ(learn_direction("\\Trash", "\\Junk"), std::optional<bool>(true));
  EXPECT_EQ(learn_direction("\\Junk", ""), std::optional<bool>(false)) << "to INBOX";
  EXPECT_EQ(learn_direction("\\Junk", "\\Archive"), std::optional<bool>(false));
  EXPECT_EQ(learn_direction("\\Junk", "\\Trash"), std::nullopt) << "deleting spam";
  EXPECT_EQ(learn_direction("\\Junk", "\\Junk"), std::nullopt);
  EXPECT_EQ(learn_direction("", "\\Trash"), std::nullopt);
  EXPECT_EQ(learn_direction("", ""), std::nullopt);
}

TEST(SpamLearner, UnreachableControllerCountsFailuresAndNeverBlocks) {
  RspamdOptions o;
  o.controller_url = "http://127.0.0.1:1";  // nothing listens on port 1
  o.password = "secret";
  {
    SpamLearner learner(o, 1);
    learner.learn({"Subject: a\r\n\r\nx\r\n", "Subject: b\r\n\r\ny\r\n"}, true, "u@example.test");
    learner.learn({"Subject: c\r\n\r\nz\r\n"}, false, "u@example.test");  // may be dropped
    for (int i = 0; i < 1000 && learner.failed() + learner.dropped() < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(learner.learnt(), 0u);
    EXPECT_EQ(learner.failed() + learner.dropped(), 3u);
  }
}

}  // namespace
}  // namespace posthouse::antispam
