// The sender checks as a server runs them: one DNS resolver, the Public Suffix List, the
// Authentication-Results id, the DNS lists ([[antispam.dnsbl]]) and a thread pool of their own
// for the blocking lookups, shared by every SMTP listener.
//
// Contract:
// - check() is authenticate_message() (message_auth.h) with this server's receiver name and a
//   fresh DMARC pct draw; blocking: run it on pool(), whose threads do nothing else, so slow
//   DNS never holds the pool that stores mail (or an I/O thread). message_checks() is false
//   when only the DNS lists are on ([antispam] checks = false): check() is then not called.
// - check_client() / check_domain() ask the DNS lists (dnsbl.h) through the same resolver;
//   blocking likewise: run them on pool(). The session counts the lists' temperrors here
//   (count_list_temperrors(), list_temperrors(): every SMTP listener together).
// - field() is the Authentication-Results field with authserv_id(), with `extra` resinfos
//   (the DNSWL's dnswl=pass) after the message's; results() the same list on one line; field_of() the field of `extra` alone, for
//   when the message checks are off ("" when there is nothing).
// - check() passes arc_trusted_sealers to the DMARC evaluation and, with a report log, adds
//   the message's DMARC aggregate report row to it (dmarc_report.h).
// - Immutable after construction (the report log is thread-safe); thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "antispam/dmarc_report.h"
#include "antispam/dnsbl.h"
#include "antispam/message_auth.h"
#include "antispam/public_suffix.h"
#include "net/blocking_pool.h"
#include "net/dns.h"

namespace posthouse::antispam {

class SenderChecks {
 public:
  SenderChecks(std::unique_ptr<net::DnsLookup> dns, PublicSuffixList psl, std::string authserv_id,
               std::string receiver, std::size_t threads, std::vector<DnsList> lists = {},
               bool message_checks = true, std::vector<std::string> arc_trusted_sealers = {},
               std::shared_ptr<DmarcReportLog> reports = nullptr)
      : dns_(std::move(dns)),
        psl_(std::move(psl)),
        authserv_id_(std::move(authserv_id)),
        receiver_(std::move(receiver)),
        lists_(std::move(lists)),
        message_checks_(message_checks),
        arc_trusted_(std::move(arc_trusted_sealers)),
        reports_(std::move(reports)),
        pool_(threads) {}

  const std::string& authserv_id() const { return authserv_id_; }
  const net::DnsLookup& dns() const { return *dns_; }  // the resolver of every check and list
  net::BlockingPool& pool() { return pool_; }
  bool message_checks() const { return message_checks_; }

  MessageAuth check(MessageAuthInput in, std::string_view message) const;
  std::string field(const MessageAuthInput& in, const MessageAuth& a,
                    const std::vector<std::string>& extra = {}) const;
  std::string field_of(const std::vector<std::string>& extra) const;
  // The same resinfo list as field() on one line, joined by "; " (what the ARC seal of a
  // forwarded copy records as its ARC-Authentication-Results).
  std::string results(const MessageAuthInput& in, const MessageAuth& a,
                      const std::vector<std::string>& extra = {}) const;

  const std::vector<DnsList>& lists() const { return lists_; }
  bool has_lists(bool domain) const;
  ListFindings check_client(std::string_view client_ip) const {
    return antispam::check_client(lists_, *dns_, client_ip);
  }
  ListFindings check_domain(std::string_view domain, std::string_view role) const {
    return antispam::check_domain(lists_, *dns_, domain, role);
  }
  void count_list_temperrors(int n) { list_temperrors_ += n; }
  int64_t list_temperrors() const { return list_temperrors_.load(); }

 private:
  std::unique_ptr<net::DnsLookup> dns_;
  PublicSuffixList psl_;
  std::string authserv_id_;
  std::string receiver_;
  std::vector<DnsList> lists_;
  bool message_checks_;
  std::vector<std::string> arc_trusted_;
  std::shared_ptr<DmarcReportLog> reports_;
  std::atomic<int64_t> list_temperrors_{0};
  net::BlockingPool pool_;  // last: joined before what its jobs use goes
};

}  // namespace posthouse::antispam
