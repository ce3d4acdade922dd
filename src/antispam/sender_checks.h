// The sender checks as a server runs them: one DNS resolver, the Public Suffix List, the
// Authentication-Results id and a thread pool of their own for the blocking lookups, shared
// by every SMTP listener.
//
// Contract:
// - check() is authenticate_message() (message_auth.h) with this server's receiver name and a
//   fresh DMARC pct draw; blocking: run it on pool(), whose threads do nothing else, so slow
//   DNS never holds the pool that stores mail (or an I/O thread).
// - field() is the Authentication-Results field with authserv_id().
// - Immutable after construction; thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "antispam/message_auth.h"
#include "antispam/public_suffix.h"
#include "net/blocking_pool.h"
#include "net/dns.h"

namespace posthouse::antispam {

class SenderChecks {
 public:
  SenderChecks(std::unique_ptr<net::DnsLookup> dns, PublicSuffixList psl, std::string authserv_id,
               std::string receiver, std::size_t threads)
      : dns_(std::move(dns)),
        psl_(std::move(psl)),
        authserv_id_(std::move(authserv_id)),
        receiver_(std::move(receiver)),
        pool_(threads) {}

  const std::string& authserv_id() const { return authserv_id_; }
  net::BlockingPool& pool() { return pool_; }

  MessageAuth check(MessageAuthInput in, std::string_view message) const;
  std::string field(const MessageAuthInput& in, const MessageAuth& a) const {
    return authentication_results_field(authserv_id_, in, a);
  }

 private:
  std::unique_ptr<net::DnsLookup> dns_;
  PublicSuffixList psl_;
  std::string authserv_id_;
  std::string receiver_;
  net::BlockingPool pool_;  // last: joined before what its jobs use goes
};

}  // namespace posthouse::antispam
