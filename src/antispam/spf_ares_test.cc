// SPF over the production DNS path: net::AresDnsLookup (c-ares) against a real DNS server,
// dnsmasq started by the test on a free loopback port and authoritative for *.test.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "antispam/spf_check.h"
#include "net/ares_dns.h"

extern char** environ;

namespace posthouse::antispam {
namespace {

int free_udp_port() {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

class Dnsmasq {
 public:
  explicit Dnsmasq(const std::vector<std::string>& records) {
    port_ = free_udp_port();
    std::vector<std::string> args = {"dnsmasq", "--no-daemon", "--conf-file=/dev/null",
                                     "--pid-file=", "--port=" + std::to_string(port_),
                                     "--listen-address=127.0.0.1", "--bind-interfaces",
                                     "--no-resolv", "--no-hosts", "--local=/test/",
                                     "--user=root", "--group=root", "--log-facility=-"};
    args.insert(args.end(), records.begin(), records.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t quiet;
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
    for (const char* path : {"/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"}) {
      if (access(path, X_OK) == 0 &&
          posix_spawn(&pid_, path, &quiet, nullptr, argv.data(), environ) == 0) {
        break;
      }
    }
    posix_spawn_file_actions_destroy(&quiet);
  }
  ~Dnsmasq() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool started() const { return pid_ > 0; }
  net::DnsOptions options() const {
    return net::DnsOptions{"127.0.0.1:" + std::to_string(port_), 500, 2};
  }
  // Waits until it answers (an unknown name gets NXDOMAIN once it is up).
  bool ready() const {
    net::AresDnsLookup dns(options());
    for (int i = 0; i < 100; ++i) {
      if (dns.lookup("ping.test", net::DnsType::kA).status == net::DnsStatus::kNxDomain) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

 private:
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST(SpfAres, ChecksIdentitiesAgainstARealDnsServer) {
  Dnsmasq server({
      "--txt-record=spf.test,v=spf1 mx ,include:inc.test -all exp=why.spf.test",
      "--txt-record=spf.test,google-site-verification=abc",
      "--txt-record=why.spf.test,%{i} is not a mail server of %{d}",
      "--txt-record=inc.test,v=spf1 ip4:198.51.100.0/24 ?all",
      "--txt-record=other.test,v=spf1 ptr:spf.test -all",
      "--mx-host=spf.test,mail.spf.test,10",
      "--host-record=mail.spf.test,192.0.2.10,2001:db8::10",
  });
  ASSERT_TRUE(server.started()) << "dnsmasq not found (scripts/install-deps installs dnsmasq-base)";
  ASSERT_TRUE(server.ready()) << "dnsmasq did not answer";
  net::AresDnsLookup dns(server.options());

  net::DnsAnswer txt = dns.lookup("spf.test", net::DnsType::kTxt);
  ASSERT_EQ(txt.status, net::DnsStatus::kOk) << txt.error;
  EXPECT_EQ(txt.records.size(), 2u);
  EXPECT_EQ(dns.lookup("nothing.test", net::DnsType::kTxt).status, net::DnsStatus::kNxDomain);

  auto check = [&](std::string ip, std::string from) {
    SpfRequest r;
    r.ip = std::move(ip);
    r.mail_from = std::move(from);
    r.helo = "mail.spf.test";
    return check_mail_from(dns, r);
  };
  EXPECT_EQ(check("192.0.2.10", "a@spf.test").result, SpfResult::kPass);
  EXPECT_EQ(check("2001:db8::10", "a@spf.test").result, SpfResult::kPass);
  EXPECT_EQ(check("198.51.100.7", "a@spf.test").result, SpfResult::kPass);  // include
  SpfVerdict v = check("203.0.113.5", "a@spf.test");
  EXPECT_EQ(v.result, SpfResult::kFail);
  EXPECT_EQ(v.explanation, "203.0.113.5 is not a mail server of spf.test");
  EXPECT_EQ(check("192.0.2.10", "a@other.test").result, SpfResult::kPass);  // PTR validated
  EXPECT_EQ(check("192.0.2.11", "a@other.test").result, SpfResult::kFail);
  EXPECT_EQ(check("192.0.2.10", "a@nothing.test").result, SpfResult::kNone);
}

}  // namespace
}  // namespace posthouse::antispam
