#include "antispam/clamd_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
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

ClamdResult ClamdClient::scan(const ChunkReader& reader) const {
  auto sock = net::BlockingSocket::connect(options_.address, options_.connect_timeout);
  if (!sock) return error_result(fmt::format("clamd: {}", sock.error().message));
  auto deadline = Clock::now() + options_.timeout;
  std::size_t chunk = std::clamp<std::size_t>(options_.chunk_size, 1, 1u << 24);
  // One buffer holds the length prefix and the chunk, so each chunk is one write.
  std::vector<char> buf(4 + chunk);
  base::Status sent = sock->write_all(std::string_view("zINSTREAM\0", 10), deadline);
  while (sent) {
    auto n = reader(buf.data() + 4, chunk);
    if (!n) return error_result(fmt::format("clamd: {}", n.error().message));
    std::memcpy(buf.data(), instream_chunk_header(static_cast<std::uint32_t>(*n)).data(), 4);
    sent = sock->write_all(std::string_view(buf.data(), 4 + *n), deadline);
    if (*n == 0) break;
  }
  // clamd answers a stream over its limit before the end and closes: its reply says why our
  // write failed, so it is read whatever the write gave (briefly when the write failed).
  auto reply_deadline =
      sent ? deadline : std::min(deadline, Clock::now() + std::chrono::seconds(1));
  auto reply = read_reply(*sock, reply_deadline);
  if (reply) return parse_clamd_reply(*reply);
  if (!sent) return error_result(fmt::format("clamd: {}", sent.error().message));
  return error_result(fmt::format("clamd: {}", reply.error().message));
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
