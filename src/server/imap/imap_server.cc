#include "server/imap/imap_server.h"

#include "server/imap/session.h"

namespace posthouse::server::imap {

bool ImapServer::enter_idle() {
  int n = idling_.fetch_add(1);
  if (n >= options().max_idle_connections) {
    idling_.fetch_sub(1);
    return false;
  }
  return true;
}

void ImapServer::leave_idle() { idling_.fetch_sub(1); }

asio::awaitable<void> ImapServer::session(std::shared_ptr<net::Connection> conn) {
  Session s(*this, std::move(conn));
  co_await s.run();
}

std::pair<store::Uid, store::Uid> ImapServer::claim_recent(store::FolderId folder,
                                                           store::Uid upto) {
  std::lock_guard lock(recent_mu_);
  store::Uid& mark = recent_marks_[folder];
  store::Uid old = mark;
  if (upto > mark) mark = upto;
  return {old, mark};
}

store::Uid ImapServer::recent_mark(store::FolderId folder) {
  std::lock_guard lock(recent_mu_);
  auto it = recent_marks_.find(folder);
  return it == recent_marks_.end() ? 0 : it->second;
}

}  // namespace posthouse::server::imap
