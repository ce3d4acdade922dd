// The config → options translations of the composition root that carry decisions of their own.
#include "app/options.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace posthouse::app {
namespace {

TEST(GatewayOptions, GreylistingIsOursUnlessRspamdRuns) {
  config::Config cfg;
  cfg.server.hostname = "mx.example.org";
  cfg.antispam.greylist_delay_seconds = 120;
  cfg.antispam.greylist_window_hours = 5;
  cfg.antispam.greylist_allow_days = 2;
  auto o = gateway_options(cfg);
  EXPECT_EQ(o.hostname, "mx.example.org");
  ASSERT_TRUE(o.greylist.has_value());
  EXPECT_EQ(o.greylist->delay, 120);
  EXPECT_EQ(o.greylist->retry_window, 5 * 3600);
  EXPECT_EQ(o.greylist->allow_for, 2 * 86400);
  cfg.antispam.rspamd = "http://127.0.0.1:11333";
  EXPECT_FALSE(gateway_options(cfg).greylist.has_value()) << "rspamd greylists itself";
}

TEST(GatewayOptions, ArcSealUsesTheDkimSelectorAndTheAuthservId) {
  config::Config cfg;
  cfg.server.hostname = "mx.example.org";
  cfg.outbound.dkim_selector = "sel7";
  auto o = gateway_options(cfg);
  EXPECT_EQ(o.arc_selector, "sel7");
  EXPECT_EQ(o.authserv_id, "mx.example.org") << "the host name by default";
  cfg.antispam.authserv_id = "auth.example.org";
  EXPECT_EQ(gateway_options(cfg).authserv_id, "auth.example.org");
  EXPECT_EQ(authserv_id(cfg), "auth.example.org");
  cfg.antispam.arc_seal = false;
  EXPECT_EQ(gateway_options(cfg).arc_selector, "") << "not sealed";
}

TEST(SpamLearnerOptions, OffWithoutAControllerAndClearErrorsWithOne) {
  config::Config cfg;
  auto off = spam_learner(cfg);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(*off, nullptr);

  cfg.antispam.rspamd_controller = "http://127.0.0.1:11334";
  auto no_file = spam_learner(cfg);
  ASSERT_FALSE(no_file.ok());
  EXPECT_EQ(no_file.error().field, "rspamd_password_file");
  EXPECT_NE(no_file.error().message.find("required with rspamd_controller"), std::string::npos);

  auto dir = std::filesystem::temp_directory_path() /
             ("ph-options-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto file = (dir / "password").string();
  cfg.antispam.rspamd_password_file = file;
  auto missing = spam_learner(cfg);
  ASSERT_FALSE(missing.ok()) << "unreadable file";
  EXPECT_EQ(missing.error().field, "rspamd_password_file");

  std::ofstream(file) << "\n";
  auto empty = spam_learner(cfg);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("holds no password"), std::string::npos);

  std::ofstream(file) << "s3cret-controller\nsecond line ignored\n";
  auto ok = spam_learner(cfg);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_NE(*ok, nullptr);

  cfg.antispam.rspamd_controller = "ftp://127.0.0.1:11334";
  auto bad_url = spam_learner(cfg);
  ASSERT_FALSE(bad_url.ok());
  EXPECT_EQ(bad_url.error().field, "rspamd_controller");
  EXPECT_EQ(bad_url.error().message.find("s3cret"), std::string::npos) << "never the password";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace posthouse::app
