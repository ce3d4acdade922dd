#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

PH_IMAP_HANDLER(cmd_starttls) {
  if (s.conn_->is_tls()) {
    s.bad(c, "Already using TLS");
    co_return;
  }
  if (!s.conn_->tls_available()) {
    s.no(c, "TLS not available");
    co_return;
  }
  s.ok(c, "Begin TLS negotiation now");
  s.out_ += s.tagged_;
  s.tagged_.clear();
  if (!co_await s.flush()) co_return;
  // Pipelined plaintext is dropped by start_tls; the reader starts afresh (RFC 3501 6.2.1).
  auto r = co_await s.conn_->start_tls();
  if (!r) {
    s.state_ = State::kLogout;
    s.conn_->close();
    co_return;
  }
  s.reader_ = codec::CommandReader(s.reader_.limits());
}

}  // namespace posthouse::server::imap
