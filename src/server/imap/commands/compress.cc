#include "base/strings.h"
#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

// COMPRESS DEFLATE (RFC 4978): the tagged OK is the last uncompressed byte; from the next one
// both directions are raw DEFLATE (above TLS when there is TLS).
PH_IMAP_HANDLER(cmd_compress) {
  const auto& a = std::get<codec::Compress>(c.args);
  if (!base::iequals(a.mechanism, "DEFLATE")) {
    s.bad(c, "Unknown compression mechanism");
    co_return;
  }
  if (s.conn_->compressing()) {
    s.no(c, "Compression is already active", "COMPRESSIONACTIVE");
    co_return;
  }
  s.ok(c, "DEFLATE active");
  s.out_ += s.tagged_;
  s.tagged_.clear();
  if (!co_await s.flush(true)) co_return;
  if (auto st = s.conn_->start_compression(); !st) {
    s.state_ = State::kLogout;
    s.conn_->close();
  }
}

}  // namespace posthouse::server::imap
