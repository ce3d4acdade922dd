#include "antispam/clamd_client.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>

#include "antispam/test_unix_socket.h"

namespace posthouse::antispam {
namespace {

TEST(ClamdReply, CleanInfectedAndErrors) {
  auto ok = parse_clamd_reply(std::string_view("stream: OK\0", 11));
  EXPECT_EQ(ok.status, ClamdStatus::kClean);

  auto found = parse_clamd_reply("stream: Eicar-Test-Signature FOUND\n");
  EXPECT_EQ(found.status, ClamdStatus::kInfected);
  EXPECT_EQ(found.virus, "Eicar-Test-Signature");

  auto limit = parse_clamd_reply(std::string_view("INSTREAM size limit exceeded. ERROR\0", 36));
  EXPECT_EQ(limit.status, ClamdStatus::kError);
  EXPECT_TRUE(limit.size_limit);
  EXPECT_EQ(limit.error, "clamd: the message exceeds clamd's StreamMaxLength");

  auto err = parse_clamd_reply("stream: Can't allocate memory ERROR");
  EXPECT_EQ(err.status, ClamdStatus::kError);
  EXPECT_FALSE(err.size_limit);
  EXPECT_EQ(err.error, "clamd: Can't allocate memory");

  auto unknown = parse_clamd_reply("UNKNOWN COMMAND");
  EXPECT_EQ(unknown.status, ClamdStatus::kError);
  EXPECT_EQ(unknown.error, "clamd: unexpected reply: UNKNOWN COMMAND");

  EXPECT_EQ(parse_clamd_reply("").error, "clamd: empty reply");
  // FOUND without a name, or without the stream prefix, is no verdict.
  EXPECT_EQ(parse_clamd_reply("stream:  FOUND").status, ClamdStatus::kError);
  EXPECT_EQ(parse_clamd_reply("x FOUND").status, ClamdStatus::kError);
}

TEST(ClamdReply, PeerTextIsBoundedAndPrintable) {
  std::string name(5000, 'A');
  auto r = parse_clamd_reply("stream: " + name + "\x01\xff FOUND");
  ASSERT_EQ(r.status, ClamdStatus::kError);  // over kMaxClamdReply: cut, so no FOUND
  auto small = parse_clamd_reply("stream: Bad\x01\xffName FOUND");
  ASSERT_EQ(small.status, ClamdStatus::kInfected);
  EXPECT_EQ(small.virus, "Bad??Name");
  auto long_name = parse_clamd_reply("stream: " + std::string(1000, 'N') + " FOUND");
  ASSERT_EQ(long_name.status, ClamdStatus::kInfected);
  EXPECT_EQ(long_name.virus.size(), 256u);
  EXPECT_TRUE(long_name.virus.ends_with("..."));
  EXPECT_LE(parse_clamd_reply(std::string(3000, '\x02') + " ERROR").error.size(), 220u);
}

TEST(ClamdFraming, ChunkHeaderIsBigEndian) {
  EXPECT_EQ(instream_chunk_header(0), std::string("\0\0\0\0", 4));
  EXPECT_EQ(instream_chunk_header(0x01020304), std::string("\x01\x02\x03\x04", 4));
  EXPECT_EQ(instream_chunk_header(65536), std::string("\0\x01\0\0", 4));
}

// A fake clamd on a unix socket: records what it received, answers `reply`, closes. With
// `limit`, it answers as clamd does once more than `limit` stream bytes arrived.
class FakeClamd {
 public:
  FakeClamd(std::string reply, std::size_t limit = SIZE_MAX) {
    listener_ = testing::listen_unix("fake-clamd", &path_);
    thread_ = std::thread([this, reply, limit] { serve(reply, limit); });
  }
  ~FakeClamd() {
    thread_.join();
    ::close(listener_);
    ::unlink(path_.c_str());
  }
  std::string address() const { return "unix:" + path_; }
  std::string received;

 private:
  void serve(const std::string& reply, std::size_t limit) {
    int c = ::accept(listener_, nullptr, nullptr);
    if (c < 0) return;
    std::size_t streamed = 0, pos = 10;
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      received.append(buf, n);
      if (received == std::string("zPING\0", 6)) goto answer;
      // Walk the chunk headers seen so far.
      while (received.size() >= pos + 4) {
        auto* p = reinterpret_cast<const unsigned char*>(received.data() + pos);
        std::size_t len = (std::size_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
        if (len == 0) goto answer;
        if (received.size() < pos + 4 + len) break;
        streamed += len;
        pos += 4 + len;
        if (streamed > limit) goto answer;
      }
    }
  answer:
    ::send(c, reply.data(), reply.size() + 1, MSG_NOSIGNAL);  // with clamd's NUL
    ::close(c);
  }

  std::string path_;
  int listener_ = -1;
  std::thread thread_;
};

TEST(ClamdFraming, InstreamChunksAndTerminator) {
  FakeClamd fake("stream: OK");
  ClamdClient client({fake.address(), std::chrono::seconds(5), std::chrono::seconds(5), 4});
  std::istringstream in("0123456789");
  auto r = client.scan(read_from(in));
  EXPECT_EQ(r.status, ClamdStatus::kClean) << r.error;
  std::string expected("zINSTREAM\0", 10);
  expected += std::string("\0\0\0\x04", 4) + "0123" + std::string("\0\0\0\x04", 4) + "4567" +
              std::string("\0\0\0\x02", 4) + "89" + std::string("\0\0\0\0", 4);
  EXPECT_EQ(fake.received, expected);
}

TEST(ClamdFraming, SizeLimitReplyWinsOverTheFailedWrite) {
  FakeClamd fake("INSTREAM size limit exceeded. ERROR", 1000);
  ClamdClient client({fake.address(), std::chrono::seconds(5), std::chrono::seconds(5), 512});
  std::string big(8 << 20, 'x');
  auto r = client.scan(big);
  EXPECT_EQ(r.status, ClamdStatus::kError);
  EXPECT_TRUE(r.size_limit) << r.error;
  auto st = [&] {
    FakeClamd again("INSTREAM size limit exceeded. ERROR", 1000);
    return ClamdClient({again.address(), std::chrono::seconds(5), std::chrono::seconds(5)})
        .check_stream_limit(4 << 20);
  }();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, base::Errc::kLimit);
  EXPECT_NE(st.error().message.find("refuses messages of 4194304 bytes"), std::string::npos);
}

TEST(ClamdClient, Ping) {
  {
    FakeClamd fake("PONG");
    auto st = ClamdClient({fake.address()}).ping();
    EXPECT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(fake.received, std::string("zPING\0", 6));
  }
  FakeClamd fake("PANG\x01");
  auto st = ClamdClient({fake.address()}).ping();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "clamd at " + fake.address() + " answered PING with: PANG?");
}

TEST(ClamdClient, AbsentSocketIsAnErrorNamingIt) {
  ClamdClient client({"unix:/nonexistent/clamd.sock"});
  auto r = client.scan("x");
  EXPECT_EQ(r.status, ClamdStatus::kError);
  EXPECT_EQ(r.error, "clamd: connect to unix:/nonexistent/clamd.sock: No such file or directory");
  EXPECT_FALSE(client.ping());
  EXPECT_EQ(ClamdClient({"nocolon"}).scan("x").error,
            "clamd: bad address nocolon (expected unix:/path or host:port)");
}

}  // namespace
}  // namespace posthouse::antispam
