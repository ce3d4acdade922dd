// The config → options translations of the composition root that carry decisions of their own.
#include "app/options.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace posthouse::app
