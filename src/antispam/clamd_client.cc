#include "antispam/clamd_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <optional>
#include <vector>

#include "base/printable.h"
#include "base/strings.h"
#include "net/blocking_socket.h"

namespace posthouse::antispam {

using base::Errc;
using base::Error;
using Clock = net::BlockingSocket::Clock;

namespace {

constexpr std::size_t kMaxNameLength = 256;

ClamdResult error_result(std::string text, bool size_limit = false) {
  ClamdResult r;
  r.status = ClamdStatus::kError;
  r.error = std::move(text);
  r.size_limit = size_limit;
  return r;
}

// Reads clamd's NUL-terminated reply (clamd closes after it, too), at most kMaxClamdReply.
base::Result<std::string> read_reply(net::BlockingSocket& s, Clock::time_point deadline) {
  std::string reply;
  char buf[512];
  while (reply.find('\0') == std::string::npos) {
    auto n = s.read_some(buf, sizeof buf, deadline);
    if (!n) return std::move(n).error();
    if (*n == 0) break;
    reply.append(buf, *n);
    if (reply.size() > kMaxClamdReply)
      return Error(Errc::kTooLarge, fmt::format("clamd at {}: reply longer than {} bytes",
                                                s.address(), kMaxClamdReply));
  }
  if (reply.empty())
    return Error(Errc::kIo, fmt::format("clamd at {} closed without a reply", s.address()));
  return reply;
}

}  // namespace

std::string_view clamd_status_name(ClamdStatus s) {
  switch (s) {
    case ClamdStatus::kClean:
      return "clean";
    case ClamdStatus::kInfected:
      return "infected";
    case ClamdStatus::kError:
      return "error";
  }
  return "error";
}

ClamdResult parse_clamd_reply(std::string_view reply) {
  if (auto nul = reply.find('\0'); nul != std::string_view::npos) reply = reply.substr(0, nul);
  while (!reply.empty() && (reply.back() == '\n' || reply.back() == '\r')) reply.remove_suffix(1);
  if (reply.size() > kMaxClamdReply) reply = reply.substr(0, kMaxClamdReply);
  std::string_view body = reply;
  if (body.starts_with("stream: ")) body.remove_prefix(8);
  if (body == "OK") return ClamdResult{ClamdStatus::kClean, {}, {}, false};
  if (body.ends_with(" FOUND") && reply.starts_with("stream: ")) {
    std::string_view name = base::trim(body.substr(0, body.size() - 6));
    if (!name.empty()) {
      return ClamdResult{
          ClamdStatus::kInfected, base::printable_ascii(name, kMaxNameLength), {}, false};
    }
  }
  if (body.starts_with("INSTREAM size limit exceeded"))
    return error_result("clamd: the message exceeds clamd's StreamMaxLength", true);
  if (body.ends_with(" ERROR")) {
    return error_result(
        fmt::format("clamd: {}", base::printable_ascii(body.substr(0, body.size() - 6), 200)));
  }
  if (reply.empty()) return error_result("clamd: empty reply");
  return error_result(
      fmt::format("clamd: unexpected reply: {}", base::printable_ascii(reply, 200)));
}

std::string instream_chunk_header(std::uint32_t length) {
  std::string h(4, '\0');
  h[0] = static_cast<char>((length >> 24) & 0xff);
  h[1] = static_cast<char>((length >> 16) & 0xff);
  h[2] = static_cast<char>((length >> 8) & 0xff);
  h[3] = static_cast<char>(length & 0xff);
  return h;
}

ChunkReader read_from(std::string_view message) {
  return [message](char* buf, std::size_t cap) mutable -> base::Result<std::size_t> {
    std::size_t n = std::min(cap, message.size());
    std::memcpy(buf, message.data(), n);
    message.remove_prefix(n);
    return n;
  };
}

ChunkReader read_from(std::istream& in) {
  return [&in](char* buf, std::size_t cap) -> base::Result<std::size_t> {
    in.read(buf, static_cast<std::streamsize>(cap));
    if (in.bad()) return Error(Errc::kIo, "cannot read the message");
    return static_cast<std::size_t>(in.gcount());
  };
}

namespace {

// What one INSTREAM exchange gave: the message could not be read (`local`), or what the write
// and the reply gave.
struct Exchange {
  std::optional<ClamdResult> local;
  base::Status sent;
  base::Result<std::string> reply = Error(Errc::kIo, "no reply");
};

Exchange instream(net::BlockingSocket& sock, const ChunkReader& reader, std::size_t chunk_size,
                  Clock::time_point deadline) {
  Exchange x;
  std::size_t chunk = std::clamp<std::size_t>(chunk_size, 1, 1u << 24);
  // One buffer holds the length prefix and the chunk, so each chunk is one write.
  std::vector<char> buf(4 + chunk);
  x.sent = sock.write_all(std::string_view("zINSTREAM\0", 10), deadline);
  while (x.sent) {
    auto n = reader(buf.data() + 4, chunk);
    if (!n) {
      x.local = error_result(fmt::format("clamd: {}", n.error().message));
      return x;
    }
    std::memcpy(buf.data(), instream_chunk_header(static_cast<std::uint32_t>(*n)).data(), 4);
    x.sent = sock.write_all(std::string_view(buf.data(), 4 + *n), deadline);
    if (*n == 0) break;
  }
  // clamd answers a stream over its limit before the end and closes: its reply says why our
  // write failed, so it is read whatever the write gave (briefly when the write failed).
  auto reply_deadline =
      x.sent ? deadline : std::min(deadline, Clock::now() + std::chrono::seconds(1));
  x.reply = read_reply(sock, reply_deadline);
  return x;
}

// A reply in session mode starts with the command's number: "12: stream: OK".
std::string_view without_session_id(std::string_view reply) {
  std::size_t i = 0;
  while (i < reply.size() && i < 12 && reply[i] >= '0' && reply[i] <= '9') ++i;
  if (i > 0 && reply.substr(i).starts_with(": ")) reply.remove_prefix(i + 2);
  return reply;
}

ClamdResult result_of(const Exchange& x, bool session) {
  if (x.local) return *x.local;
  if (x.reply) return parse_clamd_reply(session ? without_session_id(*x.reply) : *x.reply);
  if (!x.sent) return error_result(fmt::format("clamd: {}", x.sent.error().message));
  return error_result(fmt::format("clamd: {}", x.reply.error().message));
}

}  // namespace

struct ClamdClient::Sessions {
  std::mutex mu;
  std::vector<net::BlockingSocket> idle;

  // A kept session that clamd has not closed, if any.
  std::optional<net::BlockingSocket> take() {
    std::lock_guard lk(mu);
    while (!idle.empty()) {
      net::BlockingSocket s = std::move(idle.back());
      idle.pop_back();
      if (!s.readable_now()) return s;
    }
    return std::nullopt;
  }
  void put(net::BlockingSocket s, std::size_t max) {
    std::lock_guard lk(mu);
    if (idle.size() < max) idle.push_back(std::move(s));
  }
};

ClamdClient::ClamdClient(ClamdOptions options)
    : options_(std::move(options)), sessions_(std::make_shared<Sessions>()) {}

ClamdResult ClamdClient::scan(std::string_view message) const {
  if (options_.idle_sessions > 0) return scan_in_session(message);
  return scan(read_from(message));
}

ClamdResult ClamdClient::scan(const ChunkReader& reader) const {
  auto sock = net::BlockingSocket::connect(options_.address, options_.connect_timeout);
  if (!sock) return error_result(fmt::format("clamd: {}", sock.error().message));
  auto deadline = Clock::now() + options_.timeout;
  return result_of(instream(*sock, reader, options_.chunk_size, deadline), false);
}

ClamdResult ClamdClient::scan_in_session(std::string_view message) const {
  for (;;) {
    std::optional<net::BlockingSocket> sock = sessions_->take();
    bool kept = sock.has_value();
    if (!kept) {
      auto fresh = net::BlockingSocket::connect(options_.address, options_.connect_timeout);
      if (!fresh) return error_result(fmt::format("clamd: {}", fresh.error().message));
      sock.emplace(std::move(*fresh));
      // No reply: clamd answers each command of the session with its number.
      auto st = sock->write_all(std::string_view("zIDSESSION\0", 11),
                                Clock::now() + options_.timeout);
      if (!st) return error_result(fmt::format("clamd: {}", st.error().message));
    }
    auto deadline = Clock::now() + options_.timeout;
    Exchange x = instream(*sock, read_from(message), options_.chunk_size, deadline);
    if (!x.local && !x.reply && kept && x.reply.error().code != Errc::kTemporary) {
      continue;  // clamd ended the kept session before it answered: once more, on a new one
    }
    ClamdResult r = result_of(x, true);
    if (x.reply && !r.size_limit) sessions_->put(std::move(*sock), options_.idle_sessions);
    return r;
  }
}

base::Status ClamdClient::ping() const {
  auto sock = PH_TRY(net::BlockingSocket::connect(options_.address, options_.connect_timeout));
  auto deadline = Clock::now() + options_.timeout;
  PH_CHECK(sock.write_all(std::string_view("zPING\0", 6), deadline));
  auto reply = PH_TRY(read_reply(sock, deadline));
  std::string_view text(reply.c_str());  // up to clamd's NUL
  if (text != "PONG")
    return Error(Errc::kIo, fmt::format("clamd at {} answered PING with: {}", options_.address,
                                        base::printable_ascii(text, 200)));
  return {};
}

base::Status ClamdClient::check_stream_limit(std::size_t max_message_size) const {
  std::size_t left = max_message_size;
  ChunkReader zeros = [&left](char* buf, std::size_t cap) -> base::Result<std::size_t> {
    std::size_t n = std::min(cap, left);
    std::memset(buf, 0, n);
    left -= n;
    return n;
  };
  ClamdResult r = scan(zeros);
  if (r.size_limit) {
    return Error(Errc::kLimit,
                 fmt::format("clamd at {} refuses messages of {} bytes, the message size limit: "
                             "raise StreamMaxLength in clamd.conf to at least that, or lower "
                             "the message size limit",
                             options_.address, max_message_size));
  }
  if (r.status == ClamdStatus::kError) return Error(Errc::kUnavailable, r.error);
  return {};
}

}  // namespace posthouse::antispam
