#include "server/smtp/message_spool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace posthouse::server::smtp {
namespace {

namespace fs = std::filesystem;

// Descriptors of this process that point into dir (nameless spool files included).
int open_in(const std::string& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = fs::read_symlink(e.path(), ec);
    if (!ec && target.string().rfind(dir + "/", 0) == 0) ++n;
  }
  return n;
}

class MessageSpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            ("message_spool_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(MessageSpoolTest, ASmallMessageStaysInTheWindow) {
  net::InflightBudget budget(1 << 20);
  MessageSpool m(dir_, &budget);
  ASSERT_TRUE(m.admitted());
  m.start();
  m.append("Subject: x\r\n\r\nhi\r\n");
  m.account();
  EXPECT_EQ(budget.used(), 18u);
  EXPECT_FALSE(m.window_full());
  EXPECT_EQ(open_in(dir_), 0);  // no spool file unless the session spills a full window
  m.clear();
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_EQ(open_in(dir_), 0);
}

TEST_F(MessageSpoolTest, SpillsFullWindowsAndReadsHeaderFileAndWindowInOrder) {
  net::InflightBudget budget(1 << 30);
  MessageSpool m(dir_, &budget);
  m.start();
  std::string body;
  for (int i = 0; body.size() < 3 * MessageSpool::kWindowBytes + 1000; ++i)
    body += "line " + std::to_string(i) + "\r\n";
  std::size_t cut = 2 * MessageSpool::kWindowBytes + 17;
  m.append(body.substr(0, cut));
  ASSERT_TRUE(m.window_full());
  ASSERT_TRUE(m.flush());
  EXPECT_TRUE(m.window().empty());
  EXPECT_EQ(open_in(dir_), 1);      // the spool file is open...
  EXPECT_TRUE(fs::is_empty(dir_));  // ...and has no name
  m.append(body.substr(cut));       // the tail stays in the window
  m.account();
  EXPECT_EQ(budget.used(), body.size());
  EXPECT_EQ(m.received(), body.size());

  m.set_header("Received: test\r\n");
  EXPECT_EQ(m.size(), 16 + body.size());
  auto all = m.read("Return-Path: <>\r\n");
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(*all, "Return-Path: <>\r\nReceived: test\r\n" + body);
  // A read across every boundary: header → file → window.
  std::string mid(cut + 100, '\0');
  ASSERT_TRUE(m.read_at(3, mid.data(), mid.size()));
  EXPECT_EQ(mid, ("Received: test\r\n" + body).substr(3, cut + 100));
  char past[2];
  EXPECT_FALSE(m.read_at(m.size() - 1, past, 2));

  m.clear();
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_EQ(open_in(dir_), 0);
  EXPECT_EQ(m.size(), 0u);
}

TEST_F(MessageSpoolTest, ReplacedStartIsReadInsteadOfTheReceivedBytes) {
  MessageSpool m(dir_, nullptr);
  m.start();
  std::string body;
  for (int i = 0; body.size() < MessageSpool::kWindowBytes + 5000; ++i)
    body += "line " + std::to_string(i) + "\r\n";
  m.append(body.substr(0, MessageSpool::kWindowBytes));
  ASSERT_TRUE(m.flush());
  m.append(body.substr(MessageSpool::kWindowBytes));
  m.set_header("Received: test\r\n");
  // Replace a start that ends in the file, then one that ends in the window.
  for (std::size_t original : {std::size_t{100}, MessageSpool::kWindowBytes + 10}) {
    m.replace_start("NEW START\r\n", original);
    std::string want = "Received: test\r\nNEW START\r\n" + body.substr(original);
    EXPECT_EQ(m.size(), want.size());
    auto all = m.read();
    ASSERT_TRUE(all) << all.error().message;
    EXPECT_EQ(*all, want);
    // Reads that start inside each region.
    for (std::size_t at : {std::size_t{5}, std::size_t{20}, want.size() - 3000, want.size() - 10}) {
      std::string part(want.size() - at, '\0');
      ASSERT_TRUE(m.read_at(at, part.data(), part.size()));
      EXPECT_EQ(part, want.substr(at)) << original << " " << at;
    }
  }
  // Never more than was received.
  m.replace_start("", body.size() + 100);
  EXPECT_EQ(m.size(), 16u);
  m.clear();
  EXPECT_EQ(m.size(), 0u);
}

TEST_F(MessageSpoolTest, BudgetRefusesOnceSpentAndDestructionGivesBack) {
  net::InflightBudget budget(100);
  {
    MessageSpool a(dir_, &budget);
    a.start();
    a.append(std::string(100, 'x'));
    a.account();
    MessageSpool b(dir_, &budget);
    EXPECT_FALSE(b.admitted());
  }  // a session that ends mid-message (disconnect)
  EXPECT_EQ(budget.used(), 0u);
  MessageSpool c(dir_, &budget);
  EXPECT_TRUE(c.admitted());
}

TEST_F(MessageSpoolTest, NoBudgetAdmitsEverything) {
  MessageSpool m(dir_, nullptr);
  EXPECT_TRUE(m.admitted());
  m.start();
  m.append("x");
  m.account();
  EXPECT_EQ(m.received(), 1u);
}

}  // namespace
}  // namespace posthouse::server::smtp
