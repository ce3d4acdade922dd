#include "net/connection.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zlib.h>

#include "base/ids.h"

namespace posthouse::net {

using asio::use_awaitable;
using base::Errc;
using base::Error;
constexpr auto kTuple = asio::as_tuple(use_awaitable);

Connection::Connection(tcp::socket sock, std::shared_ptr<asio::ssl::context> tls,
                       std::string listener, std::chrono::seconds idle_timeout,
                       ListenerStats* stats)
    : sock_(std::move(sock)),
      tls_ctx_(std::move(tls)),
      listener_(std::move(listener)),
      id_(base::session_id()),
      idle_(idle_timeout),
      timer_(sock_.get_executor()),
      stats_(stats) {
  boost::system::error_code ec;
  auto remote = sock_.remote_endpoint(ec);
  if (!ec) {
    auto addr = remote.address();
    if (addr.is_v6() && addr.to_v6().is_v4_mapped())
      addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
    peer_ip_ = addr.to_string();
    peer_port_ = remote.port();
  }
  auto local = sock_.local_endpoint(ec);
  if (!ec) local_ip_ = local.address().to_string();
  sock_.set_option(tcp::no_delay(true), ec);
  touch();
}

// Raw DEFLATE (no zlib header, RFC 4978 section 4) in both directions.
struct Connection::Compression {
  z_stream in{}, out{};
  bool in_ok = false, out_ok = false;
  std::string pending;  // compressed input not yet inflated
  std::size_t pending_pos = 0;
  ~Compression() {
    if (in_ok) inflateEnd(&in);
    if (out_ok) deflateEnd(&out);
  }
};

Connection::~Connection() = default;

base::Status Connection::start_compression() {
  if (z_) return Error(Errc::kInvalid, "compression already active");
  auto z = std::make_unique<Compression>();
  if (inflateInit2(&z->in, -15) != Z_OK) return Error(Errc::kInternal, "inflateInit2 failed");
  z->in_ok = true;
  if (deflateInit2(&z->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK)
    return Error(Errc::kInternal, "deflateInit2 failed");
  z->out_ok = true;
  // What the client sent after the command's line is already compressed.
  z->pending = buf_.substr(pos_);
  buf_.resize(pos_);
  z_ = std::move(z);
  return {};
}

base::Result<std::size_t> Connection::inflate_pending() {
  auto& z = *z_;
  if (z.pending_pos >= z.pending.size()) return std::size_t{0};
  std::size_t old = buf_.size();
  buf_.resize(old + kInflateSlice);
  z.in.next_in = reinterpret_cast<Bytef*>(z.pending.data() + z.pending_pos);
  z.in.avail_in = static_cast<uInt>(z.pending.size() - z.pending_pos);
  z.in.next_out = reinterpret_cast<Bytef*>(&buf_[old]);
  z.in.avail_out = static_cast<uInt>(kInflateSlice);
  int rc = inflate(&z.in, Z_SYNC_FLUSH);
  std::size_t produced = kInflateSlice - z.in.avail_out;
  z.pending_pos = z.pending.size() - z.in.avail_in;
  buf_.resize(old + produced);
  if (z.pending_pos >= z.pending.size()) {
    z.pending.clear();
    z.pending_pos = 0;
  }
  if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) {
    return Error(Errc::kIo, "invalid compressed data");
  }
  return produced;
}

void Connection::touch() { deadline_ = std::chrono::steady_clock::now() + idle_; }

asio::awaitable<void> Connection::pause(std::chrono::steady_clock::duration d) {
  if (d <= std::chrono::steady_clock::duration::zero()) co_return;
  if (stats_) ++stats_->paced;
  asio::steady_timer t(sock_.get_executor(), d);
  co_await t.async_wait(kTuple);
  touch();
}

asio::awaitable<bool> Connection::sends_within(std::chrono::steady_clock::duration d) {
  asio::steady_timer t(sock_.get_executor(), d);
  co_await t.async_wait(kTuple);
  touch();
  boost::system::error_code ec;
  std::size_t waiting = closed_ ? 0 : sock_.available(ec);
  bool sent = buffered() > 0 || (!ec && waiting > 0);
  co_return sent;
}

asio::awaitable<void> Connection::watchdog() {
  auto self = shared_from_this();
  while (!closed_) {
    timer_.expires_at(deadline_);
    auto [ec] = co_await timer_.async_wait(kTuple);
    if (closed_) break;
    if (std::chrono::steady_clock::now() >= deadline_) {
      spdlog::info("{} {} idle timeout, closing connection from {}", id_, listener_, peer_ip_);
      close();
      break;
    }
  }
}

void Connection::close() {
  asio::post(sock_.get_executor(), [self = shared_from_this()] {
    if (self->closed_) return;
    self->closed_ = true;
    boost::system::error_code ec;
    self->sock_.shutdown(tcp::socket::shutdown_both, ec);
    self->sock_.close(ec);
    self->timer_.cancel();
  });
}

std::string Connection::tls_info() const {
  if (!tls_stream_) return "";
  SSL* ssl = const_cast<asio::ssl::stream<tcp::socket&>&>(*tls_stream_).native_handle();
  return fmt::format("{} {}", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
}

asio::awaitable<base::Status> Connection::handshake() {
  if (!tls_ctx_) co_return Error(Errc::kUnavailable, "TLS not configured");
  tls_stream_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(sock_, *tls_ctx_);
  auto [ec] = co_await tls_stream_->async_handshake(asio::ssl::stream_base::server, kTuple);
  touch();
  if (ec) {
    co_return Error(Errc::kIo, fmt::format("TLS handshake failed: {}", ec.message()));
  }
  co_return base::Status();
}

asio::awaitable<base::Result<bool>> Connection::start_tls() {
  bool had_pipelined = buffered() > 0;
  buf_.clear();
  pos_ = 0;
  auto st = co_await handshake();
  if (!st) co_return st.error();
  co_return had_pipelined;
}

void Connection::compact() {
  if (pos_ > 0 && (pos_ == buf_.size() || pos_ > 65536)) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
}

asio::awaitable<base::Result<std::size_t>> Connection::read_raw(char* to, std::size_t room) {
  boost::system::error_code ec;
  std::size_t n = 0;
  if (tls_stream_) {
    std::tie(ec, n) = co_await tls_stream_->async_read_some(asio::buffer(to, room), kTuple);
  } else {
    std::tie(ec, n) = co_await sock_.async_read_some(asio::buffer(to, room), kTuple);
  }
  if (ec) co_return Error(Errc::kIo, ec == asio::error::eof ? "peer closed" : ec.message());
  touch();
  if (stats_) stats_->bytes_in += static_cast<int64_t>(n);
  co_return n;
}

asio::awaitable<base::Result<std::size_t>> Connection::fill() {
  if (closed_) co_return Error(Errc::kIo, "connection closed");
  compact();
  constexpr std::size_t room = 16384;
  if (z_) {
    while (true) {
      auto made = inflate_pending();
      if (!made) co_return made.error();
      if (*made > 0) co_return *made;
      std::string raw(room, '\0');
      auto n = co_await read_raw(raw.data(), room);
      if (!n) co_return n.error();
      z_->pending.append(raw, 0, *n);
    }
  }
  std::size_t old = buf_.size();
  buf_.resize(old + room);
  auto n = co_await read_raw(&buf_[old], room);
  buf_.resize(old + (n ? *n : 0));
  co_return n;
}

asio::awaitable<base::Result<std::string>> Connection::read_line(std::size_t max) {
  max = std::min(max, max_buffer_);
  std::size_t rel = 0;  // bytes after pos_ already searched; fill() may move pos_
  while (true) {
    auto nl = buf_.find('\n', pos_ + rel);
    if (nl != std::string::npos) {
      std::size_t len = nl + 1 - pos_;
      if (len > max) {
        pos_ = nl + 1;
        co_return Error(Errc::kTooLarge, "line too long");
      }
      std::string line = buf_.substr(pos_, len);
      pos_ = nl + 1;
      co_return line;
    }
    if (buffered() > max) {
      // Over-long line: drop what we have and keep discarding until its end, bounded by the
      // idle timeout, so the next command is read in sync.
      buf_.clear();
      pos_ = 0;
      while (true) {
        auto r = co_await fill();
        if (!r) co_return r.error();
        auto nl2 = buf_.find('\n');
        if (nl2 != std::string::npos) {
          pos_ = nl2 + 1;
          co_return Error(Errc::kTooLarge, "line too long");
        }
        buf_.clear();
      }
    }
    rel = buffered();
    auto r = co_await fill();
    if (!r) co_return r.error();
  }
}

asio::awaitable<base::Result<std::string>> Connection::read_exact(std::size_t n) {
  std::string out;
  out.reserve(std::min<std::size_t>(n, 1 << 20));
  while (out.size() < n) {
    if (buffered() == 0) {
      auto r = co_await fill();
      if (!r) co_return r.error();
    }
    std::size_t take = std::min(n - out.size(), buffered());
    out.append(buf_, pos_, take);
    pos_ += take;
  }
  co_return out;
}

asio::awaitable<base::Result<std::string>> Connection::read_some(std::size_t max) {
  if (buffered() == 0) {
    auto r = co_await fill();
    if (!r) co_return r.error();
  }
  std::size_t take = std::min(max, buffered());
  std::string out = buf_.substr(pos_, take);
  pos_ += take;
  co_return out;
}

asio::awaitable<base::Result<std::string_view>> Connection::peek_some() {
  if (buffered() == 0) {
    auto r = co_await fill();
    if (!r) co_return r.error();
  }
  co_return std::string_view(buf_).substr(pos_);
}

asio::awaitable<base::Status> Connection::write(std::string_view data) {
  if (closed_) co_return Error(Errc::kIo, "connection closed");
  boost::system::error_code ec;
  std::size_t n = 0;
  std::string packed;
  // Write in slices so a slow reader keeps pushing the idle deadline only while it drains.
  while (!data.empty()) {
    std::size_t slice = std::min<std::size_t>(data.size(), 256 * 1024);
    std::string_view wire = data.substr(0, slice);
    if (z_) {
      // Each slice sync-flushed: the client can decode everything sent so far.
      auto& o = z_->out;
      packed.resize(deflateBound(&o, static_cast<uLong>(slice)) + 64);
      o.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
      o.avail_in = static_cast<uInt>(slice);
      std::size_t used = 0;
      do {
        if (used == packed.size()) packed.resize(packed.size() * 2);
        o.next_out = reinterpret_cast<Bytef*>(&packed[used]);
        o.avail_out = static_cast<uInt>(packed.size() - used);
        if (deflate(&o, Z_SYNC_FLUSH) == Z_STREAM_ERROR) {
          co_return Error(Errc::kInternal, "deflate failed");
        }
        used = packed.size() - o.avail_out;
      } while (o.avail_out == 0);
      wire = std::string_view(packed.data(), used);
    }
    if (tls_stream_) {
      std::tie(ec, n) =
          co_await asio::async_write(*tls_stream_, asio::buffer(wire.data(), wire.size()), kTuple);
    } else {
      std::tie(ec, n) =
          co_await asio::async_write(sock_, asio::buffer(wire.data(), wire.size()), kTuple);
    }
    if (ec) co_return Error(Errc::kIo, ec.message());
    if (stats_) stats_->bytes_out += static_cast<int64_t>(n);
    touch();
    data.remove_prefix(slice);
  }
  co_return base::Status();
}

}  // namespace posthouse::net
