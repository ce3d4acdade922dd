#include "auth/cidr.h"

#include <gtest/gtest.h>

namespace posthouse::auth {

TEST(Cidr, Ipv4Blocks) {
  EXPECT_TRUE(ip_in_cidr("10.1.2.3", "10.0.0.0/8"));
  EXPECT_FALSE(ip_in_cidr("11.1.2.3", "10.0.0.0/8"));
  EXPECT_TRUE(ip_in_cidr("127.0.0.1", "127.0.0.1"));
  EXPECT_FALSE(ip_in_cidr("127.0.0.2", "127.0.0.1/32"));
  EXPECT_TRUE(ip_in_cidr("192.168.1.200", "192.168.1.128/25"));
  EXPECT_FALSE(ip_in_cidr("192.168.1.100", "192.168.1.128/25"));
  EXPECT_TRUE(ip_in_cidr("8.8.8.8", "0.0.0.0/0"));
}

TEST(Cidr, Ipv6AndMapped) {
  EXPECT_TRUE(ip_in_cidr("2001:db8::1", "2001:db8::/32"));
  EXPECT_FALSE(ip_in_cidr("2001:db9::1", "2001:db8::/32"));
  EXPECT_TRUE(ip_in_cidr("::ffff:10.0.0.1", "10.0.0.0/8"));
  EXPECT_FALSE(ip_in_cidr("10.0.0.1", "2001:db8::/32"));
}

TEST(Cidr, MalformedNeverMatches) {
  for (const char* bad : {"", "10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "x", "::/129", "10.0.0.0/8/1",
                          "10.0.0.0/-1", "1.2.3.4 "}) {
    EXPECT_FALSE(valid_cidr(bad)) << bad;
    EXPECT_FALSE(ip_in_cidr("10.0.0.1", bad)) << bad;
  }
  EXPECT_FALSE(ip_in_cidr("not-an-ip", "0.0.0.0/0"));
  EXPECT_TRUE(valid_cidr("::1"));
}

}  // namespace posthouse::auth
