// What the mail-reading servers (IMAP, POP3) share: the services a server hands its sessions,
// and its options (a SessionOptions with the protocol's own settings).
//
// Contract: a MailServer is built once per protocol at start, shared by all its sessions (on
// every I/O thread) and outlives them. It holds references to the gateway, the store and the
// pool, which must outlive it; they and the LoginThrottle are thread-safe, so the accessors may
// be called from any session. Options are fixed at construction.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "auth/throttle.h"
#include "delivery/local_gateway.h"
#include "net/blocking_pool.h"
#include "server/session_common.h"
#include "store/mail_store.h"

namespace posthouse::server {

template <class Options>
class MailServer {
 public:
  MailServer(Options opts, delivery::LocalGateway& gateway, store::MailStore& mail,
             net::BlockingPool& pool, std::shared_ptr<auth::LoginThrottle> throttle)
      : opts_(std::move(opts)),
        gateway_(gateway),
        mail_(mail),
        pool_(pool),
        throttle_(std::move(throttle)) {}

  const Options& options() const { return opts_; }
  delivery::LocalGateway& gateway() { return gateway_; }
  store::MailStore& mail() { return mail_; }
  net::BlockingPool& pool() { return pool_; }
  auth::LoginThrottle& throttle() { return *throttle_; }

 private:
  Options opts_;
  delivery::LocalGateway& gateway_;
  store::MailStore& mail_;
  net::BlockingPool& pool_;
  std::shared_ptr<auth::LoginThrottle> throttle_;
};

}  // namespace posthouse::server
