#include "config/config.h"

#include <gtest/gtest.h>

namespace posthouse::config {
namespace {

TEST(Config, DefaultFileParses) {
  auto c = parse(default_file_text("mx.example.org"), "/tmp/x/posthouse.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server.hostname, "mx.example.org");
  ASSERT_EQ(c->listen.smtp.size(), 1u);
  EXPECT_EQ(c->listen.smtp[0].port, 2525);
  EXPECT_EQ(c->listen.http[0].to_string(), "127.0.0.1:8080");
  EXPECT_EQ(c->server.data_dir, "/tmp/x");
  EXPECT_EQ(c->tls.cert, "/tmp/x/tls/cert.pem");
  EXPECT_EQ(c->db_path(), "/tmp/x/posthouse.db");
}

TEST(Config, UnknownKeyNamesFileLineAndKey) {
  auto c = parse("[server]\nhostname = \"a\"\nhostnme = \"b\"\n", "p.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "p.toml:3: server.hostnme: unknown key");
}

TEST(Config, UnknownSection) {
  auto c = parse("[lisen]\nsmtp = \"127.0.0.1:25\"\n", "p.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "p.toml:1: lisen: unknown section");
}

TEST(Config, WrongTypeAndRange) {
  auto c = parse("[limits]\nmax_connections = \"many\"\n", "p.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "p.toml:2: limits.max_connections: expected an integer");
  c = parse("[limits]\nmax_connections = 0\n", "p.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("between 1 and"), std::string::npos);
}

TEST(Config, InflightBudgetTakesMoreThanAnInt) {
  auto d = parse("", "p.toml");
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->limits.max_inflight_bytes, int64_t{512} << 20);
  auto c = parse("[limits]\nmax_inflight_bytes = 8589934592\n", "p.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->limits.max_inflight_bytes, int64_t{8} << 30);
  c = parse("[limits]\nmax_inflight_bytes = 100\n", "p.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message,
            "p.toml:2: limits.max_inflight_bytes: must be between 1024 and 1125899906842624");
}

TEST(Config, ImapSection) {
  auto c = parse("[imap]\nallow_plaintext_auth = true\nmax_idle_connections = 3\n"
                 "append_limit = 2048\nmax_errors = 5\n",
                 "p.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->imap.allow_plaintext_auth);
  EXPECT_EQ(c->imap.max_idle_connections, 3);
  EXPECT_EQ(c->imap.append_limit, 2048);
  EXPECT_EQ(c->imap.max_errors, 5);
  c = parse("[imap]\ncommand_rate = 0\ncommand_burst = 7\n", "p.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->imap.command_rate, 0);
  EXPECT_EQ(c->imap.command_burst, 7);
  EXPECT_FALSE(parse("[imap]\ncommand_burst = 0\n", "p.toml").ok());
  c = parse("[imap]\nappend_limit = 10\n", "p.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("imap.append_limit: must be between"), std::string::npos);
  c = parse("[imap]\nidle = 1\n", "p.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "p.toml:2: imap.idle: unknown key");
}

TEST(Config, TestingFaultFileIsOffByDefaultAndResolvedInTheDataDir) {
  auto c = parse(default_file_text("a"), "/tmp/x/posthouse.toml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->testing.fault_file, "");
  c = parse("[testing]\nfault_file = \"faults\"\n", "/tmp/x/posthouse.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->testing.fault_file, "/tmp/x/faults");
  c = parse("[testing]\nfault_fil = \"f\"\n", "p.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "p.toml:2: testing.fault_fil: unknown key");
}

TEST(Config, PasswordCostBelowOwaspMinimumIsRefusedUnlessTestingAllowsIt) {
  // The defaults (2 passes, 64 MiB) and both OWASP minimums are accepted.
  EXPECT_TRUE(parse(default_file_text("a"), "p.toml").ok());
  for (auto text : {"[directory]\npassword_hash_ops = 2\npassword_hash_memory_kib = 19456\n",
                    "[directory]\npassword_hash_ops = 1\npassword_hash_memory_kib = 47104\n"}) {
    auto c = parse(text, "p.toml");
    EXPECT_TRUE(c.ok()) << text << c.error().message;
  }
  // Just under either minimum is an error that names the key.
  for (auto text : {"[directory]\npassword_hash_ops = 2\npassword_hash_memory_kib = 19455\n",
                    "[directory]\npassword_hash_ops = 1\npassword_hash_memory_kib = 47103\n",
                    "[directory]\npassword_hash_ops = 1\npassword_hash_memory_kib = 8192\n"}) {
    auto c = parse(text, "p.toml");
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.error().field, "password_hash_memory_kib");
    EXPECT_NE(c.error().message.find("p.toml: [directory] password_hash_memory_kib: "),
              std::string::npos)
        << c.error().message;
    EXPECT_NE(c.error().message.find("below the minimum for argon2id"), std::string::npos);
  }
  // Only the explicit testing switch allows a weak cost (tests and bench).
  auto c = parse(
      "[directory]\npassword_hash_ops = 1\npassword_hash_memory_kib = 8192\n"
      "[testing]\nallow_weak_password_hash = true\n",
      "p.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->testing.allow_weak_password_hash);
  EXPECT_TRUE(password_hash_below_minimum(c->directory));
}

TEST(Config, MalformedToml) {
  auto c = parse("[server\nhostname = 1\n", "p.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message.rfind("p.toml:1: ", 0), 0u) << c.error().message;
}

TEST(Config, Endpoints) {
  EXPECT_EQ(parse_endpoint("[::1]:143")->to_string(), "[::1]:143");
  EXPECT_EQ(parse_endpoint("0.0.0.0:25")->port, 25);
  EXPECT_FALSE(parse_endpoint("localhost:25").ok());
  EXPECT_FALSE(parse_endpoint("127.0.0.1:0").ok());
  EXPECT_FALSE(parse_endpoint("127.0.0.1:70000").ok());
  EXPECT_FALSE(parse_endpoint("127.0.0.1").ok());
  EXPECT_FALSE(parse_endpoint("[::1]143").ok());
  EXPECT_FALSE(parse_endpoint("127.0.0.1:2x").ok());
  auto c = parse("[listen]\nsmtp = \"999.1.1.1:25\"\n", "p.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message.rfind("p.toml:2: listen.smtp: bad address", 0), 0u)
      << c.error().message;
  c = parse("[listen]\nsmtp = [\"127.0.0.1:25\", \"[::1]:25\"]\nimap = \"\"\n", "p.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->listen.smtp.size(), 2u);
  EXPECT_TRUE(c->listen.imap.empty());
}

TEST(DnsblConfig, ListsWithTheirCodes) {
  auto c = parse(
      "[[antispam.dnsbl]]\nzone = \"Zen.Example.\"\ncodes = [\"127.0.0.2-127.0.0.11\", "
      "\"127.0.1.0/24\", \"127.0.0.20\"]\n"
      "[[antispam.dnsbl]]\nzone = \"dbl.example\"\ntype = \"domain\"\n"
      "[[antispam.dnsbl]]\nzone = \"wl.example\"\nlist = \"allow\"\n",
      "p.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->antispam.dnsbl.size(), 3u);
  const auto& z = c->antispam.dnsbl[0];
  EXPECT_EQ(z.zone, "zen.example");
  EXPECT_FALSE(z.domain);
  EXPECT_FALSE(z.allow);
  ASSERT_EQ(z.codes.size(), 3u);
  EXPECT_EQ(z.codes[0], std::make_pair(0x7f000002u, 0x7f00000bu));
  EXPECT_EQ(z.codes[1], std::make_pair(0x7f000100u, 0x7f0001ffu));
  EXPECT_EQ(z.codes[2], std::make_pair(0x7f000014u, 0x7f000014u));
  EXPECT_TRUE(c->antispam.dnsbl[1].domain);
  EXPECT_TRUE(c->antispam.dnsbl[1].codes.empty());
  EXPECT_TRUE(c->antispam.dnsbl[2].allow);
  EXPECT_TRUE(parse("", "p.toml")->antispam.dnsbl.empty());
}

TEST(DnsblConfig, BadValuesNameTheKey) {
  auto err = [](const std::string& body) {
    auto c = parse("[[antispam.dnsbl]]\n" + body, "p.toml");
    return c.ok() ? std::string("ok") : c.error().message;
  };
  EXPECT_EQ(err("type = \"ip\"\n"),
            "p.toml:1: antispam.dnsbl[1].zone: missing: the list's DNS zone");
  EXPECT_EQ(err("zone = \"a b\"\n"),
            "p.toml:2: antispam.dnsbl[1].zone: expected a DNS zone like \"zen.spamhaus.org\"");
  EXPECT_EQ(err("zone = \"z.example\"\ntype = \"rhsbl\"\n"),
            "p.toml:3: antispam.dnsbl[1].type: must be \"ip\" or \"domain\"");
  EXPECT_EQ(err("zone = \"z.example\"\nlist = \"white\"\n"),
            "p.toml:3: antispam.dnsbl[1].list: must be \"block\" or \"allow\"");
  EXPECT_EQ(err("zone = \"z.example\"\ncodes = [\"127.255.255.254\"]\n"),
            "p.toml:3: antispam.dnsbl[1].codes: \"127.255.255.254\": 127.255.255.0/24 means the "
            "list refused the query, never a listing");
  EXPECT_NE(err("zone = \"z.example\"\ncodes = [\"127.0.0.2-127.255.255.255\"]\n")
                .find("refused the query"),
            std::string::npos);
  EXPECT_EQ(err("zone = \"z.example\"\ncodes = [\"10.0.0.2\"]\n"),
            "p.toml:3: antispam.dnsbl[1].codes: \"10.0.0.2\": list codes are in 127.0.0.0/8");
  EXPECT_EQ(err("zone = \"z.example\"\ncodes = [\"127.0.0.9-127.0.0.2\"]\n"),
            "p.toml:3: antispam.dnsbl[1].codes: \"127.0.0.9-127.0.0.2\": the range ends before "
            "it starts");
  EXPECT_EQ(err("zone = \"z.example\"\ncodes = [\"127.0.0.1/24\"]\n"),
            "p.toml:3: antispam.dnsbl[1].codes: \"127.0.0.1/24\": host bits set in a network");
  EXPECT_EQ(err("zone = \"z.example\"\ncodes = [\"listed\"]\n"),
            "p.toml:3: antispam.dnsbl[1].codes: \"listed\": expected an IPv4 address, a range a-b "
            "or a network a/n");
  EXPECT_EQ(err("zone = \"z.example\"\ncodes = []\n"),
            "p.toml:3: antispam.dnsbl[1].codes: must not be empty");
  EXPECT_EQ(err("zone = \"z.example\"\nweight = 2\n"),
            "p.toml:3: antispam.dnsbl[1].weight: unknown key");
  auto c = parse("[antispam]\ndnsbl = \"zen.example\"\n", "p.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message,
            "p.toml:2: antispam.dnsbl: expected [[antispam.dnsbl]] tables (zone, type, list, "
            "codes)");
}

TEST(Config, DnsCacheEntries) {
  EXPECT_EQ(parse("", "p.toml")->antispam.dns_cache_entries, 10000);
  auto c = parse("[antispam]\ndns_cache_entries = 0\n", "p.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->antispam.dns_cache_entries, 0);
  c = parse("[antispam]\ndns_cache_entries = -1\n", "p.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message,
            "p.toml:2: antispam.dns_cache_entries: must be between 0 and 10000000");
}

}  // namespace
}  // namespace posthouse::config
