// One client connection, plain or TLS, as the protocol sessions see it.
//
// Contract:
// - Owned by a shared_ptr; every method runs on the connection's own executor (one io_context
//   thread), so none needs locking. close() may be called from any thread (it posts).
// - Reads are buffered and bounded: read_line() never buffers more than its max (the rest of an
//   over-long line is discarded up to its LF, then Errc::kTooLarge is returned, so the session
//   can answer and carry on in sync); read_exact() is bounded by its caller.
// - Idle timeout: every read or write that makes progress pushes the deadline forward; a
//   watchdog closes the socket once the deadline passes (slow-loris clients, dead peers, and
//   slow readers that never drain their replies).
// - start_tls() drops any plaintext the client pipelined after STARTTLS (CVE-2011-0411 class)
//   and reports whether there was some.
// - Errors are returned, never thrown: Errc::kIo for a closed or reset peer.
// - start_compression() (IMAP COMPRESS=DEFLATE, RFC 4978) puts raw DEFLATE above TLS in both
//   directions: every later read is inflated (at most kInflateSlice bytes per fill, so a
//   compressed bomb is bounded like plain input), every write deflated and sync-flushed.
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace posthouse::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct ListenerStats {
  std::atomic<int64_t> active{0};
  std::atomic<int64_t> accepted{0};
  std::atomic<int64_t> refused{0};
  std::atomic<int64_t> bytes_in{0};
  std::atomic<int64_t> bytes_out{0};
  std::atomic<int64_t> paced{0};  // commands held back by a command budget (backpressure)
  std::atomic<int64_t> pregreet{0};  // SMTP clients refused for talking before the greeting
  std::atomic<int64_t> scan_failed{0};  // clamd/rspamd calls that failed for an SMTP message
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  static constexpr std::size_t kInflateSlice = 64 * 1024;

  Connection(tcp::socket sock, std::shared_ptr<asio::ssl::context> tls, std::string listener,
             std::chrono::seconds idle_timeout, ListenerStats* stats);
  ~Connection();

  // Implicit-TLS listeners: completes the handshake before the session starts.
  asio::awaitable<base::Status> handshake();
  // STARTTLS/STLS: upgrades in place. Ok(true) if the client had pipelined plaintext, which was
  // discarded.
  asio::awaitable<base::Result<bool>> start_tls();

  // A line including its terminator (LF, normally CRLF). At most max bytes.
  asio::awaitable<base::Result<std::string>> read_line(std::size_t max);
  // Exactly n bytes.
  asio::awaitable<base::Result<std::string>> read_exact(std::size_t n);
  // Whatever is buffered, or at least one read's worth (up to max).
  asio::awaitable<base::Result<std::string>> read_some(std::size_t max);
  asio::awaitable<base::Status> write(std::string_view data);
  // The buffered bytes, reading more first when none are buffered. The view is valid until the
  // next read call; consume() what was used, the rest stays for the next read (pipelining).
  asio::awaitable<base::Result<std::string_view>> peek_some();
  void consume(std::size_t n) { pos_ += std::min(n, buffered()); }

  // For codecs that drive the stream themselves (Beast HTTP): f(stream) with the raw TCP
  // socket or the TLS stream. Bytes read that way bypass this object's buffer.
  template <class F>
  auto with_stream(F&& f) {
    if (tls_stream_) return f(*tls_stream_);
    return f(sock_);
  }

  // COMPRESS=DEFLATE from the next byte on; bytes already buffered are the first compressed
  // input. kInvalid if already compressing.
  base::Status start_compression();
  bool compressing() const { return z_ != nullptr; }

  void close();  // any thread
  bool closed() const { return closed_; }
  bool is_tls() const { return tls_stream_ != nullptr; }
  bool tls_available() const { return tls_ctx_ != nullptr; }
  std::string tls_info() const;  // "TLSv1.3 TLS_AES_256_GCM_SHA384" or ""
  const std::string& peer_ip() const { return peer_ip_; }
  uint16_t peer_port() const { return peer_port_; }
  const std::string& local_ip() const { return local_ip_; }
  const std::string& listener() const { return listener_; }
  const std::string& id() const { return id_; }
  std::size_t buffered() const { return buf_.size() - pos_; }
  void touch();
  // Backpressure: waits `d` (a command budget's TokenBucket::reserve()) without reading, so the
  // peer's next commands stay in the socket and TCP slows the peer down; nothing is refused.
  // The wait is the server's doing, so the idle deadline starts again after it.
  asio::awaitable<void> pause(std::chrono::steady_clock::duration d);
  // Waits `d` without reading; true when the peer sent something meanwhile (buffered, or
  // waiting in the socket). For the SMTP pregreet test: a client must wait for the greeting.
  asio::awaitable<bool> sends_within(std::chrono::steady_clock::duration d);
  void count_pregreet() {
    if (stats_) ++stats_->pregreet;
  }
  void count_scan_failures(int n) {
    if (stats_) stats_->scan_failed += n;
  }
  void set_idle_timeout(std::chrono::seconds t) {
    idle_ = t;
    touch();
  }
  // Caps read_line()'s max: no line longer than this is ever held in memory.
  void set_max_buffer(std::size_t n) { max_buffer_ = n; }

  // Set when the server is draining; sessions should finish their current command and say
  // goodbye in their protocol.
  bool shutting_down() const { return shutting_down_ != nullptr && shutting_down_->load(); }
  void set_shutdown_flag(const std::atomic<bool>* f) { shutting_down_ = f; }

  asio::awaitable<void> watchdog();
  asio::any_io_executor executor() { return sock_.get_executor(); }

 private:
  asio::awaitable<base::Result<std::size_t>> fill();
  asio::awaitable<base::Result<std::size_t>> read_raw(char* to, std::size_t room);
  // Inflates pending compressed input into buf_; bytes produced (0: needs more input).
  base::Result<std::size_t> inflate_pending();
  void compact();
  struct Compression;

  tcp::socket sock_;
  std::shared_ptr<asio::ssl::context> tls_ctx_;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_stream_;
  std::string listener_;
  std::string id_;
  std::string peer_ip_, local_ip_;
  uint16_t peer_port_ = 0;
  std::chrono::seconds idle_;
  std::chrono::steady_clock::time_point deadline_;
  asio::steady_timer timer_;
  ListenerStats* stats_;
  const std::atomic<bool>* shutting_down_ = nullptr;
  std::string buf_;
  std::size_t pos_ = 0;
  std::size_t max_buffer_ = 1 << 20;
  bool closed_ = false;
  std::unique_ptr<Compression> z_;
};

}  // namespace posthouse::net
