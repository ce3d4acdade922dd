// FETCH body items (BODY[...], BINARY[...], RFC822*): where the bytes of a section come from,
// and reading them either whole (small items) or in slices (large ones, streamed).
//
// Contract: section_source() is pure; scan_decoded() and section_bytes() read the store and
// are blocking (call inside Session::blocking()); send_stream() runs on the session's
// executor and awaits each store read and each write. Memory per call is bounded by
// kReadSlice, except section_bytes(), which callers use only up to kStreamMin (or for a
// HEADER.FIELDS filter, which reads a header). Not thread-safe: one session's state.
#pragma once

#include <boost/asio.hpp>

#include <cstdint>
#include <string>

#include "base/result.h"
#include "mime/part_map.h"
#include "protocol/imap/command.h"
#include "store/mail_store.h"

namespace posthouse::server::imap {

class Session;

namespace fetch {

// Raw bytes read per store call while scanning or streaming a large item.
constexpr uint64_t kReadSlice = 64 * 1024;
// Items larger than this are streamed from the store after their literal header instead of
// being built in memory.
constexpr uint64_t kStreamMin = 64 * 1024;

// The selected folder a FETCH reads from.
struct Ctx {
  store::MailStore& mail;
  store::MailboxId mb;
  store::FolderId folder;
};

// "1.2.3" of a section ("" for the whole message).
std::string part_prefix(const ::posthouse::imap::Section& sec);

// Where the bytes of one BODY[]/BINARY[] item (before <partial>) come from: a byte range of the
// stored message, filtered (HEADER.FIELDS) or decoded (BINARY) on the way out.
struct Source {
  uint64_t offset = 0, length = 0;
  bool fields = false;      // HEADER.FIELDS[.NOT]: filtered in memory (a header)
  std::string encoding;     // BINARY: content-transfer-encoding to decode
  bool decode = false;
};

// The Source of a BODY[...]/BINARY[...]/BINARY.SIZE[...] item. A section that does not exist is
// empty (RFC 3501); an encoding CteDecoder does not know is kInvalid field "cte".
base::Result<Source> section_source(const store::MessageMeta& m, const mime::PartMap* map,
                                    const ::posthouse::imap::FetchAtt& a);

// Decoded size of a BINARY item and whether it holds a NUL (literal8), by reading the part in
// slices: memory stays bounded by kReadSlice whatever the part's size.
struct Scan {
  uint64_t size = 0;
  bool nul = false;
};
base::Result<Scan> scan_decoded(const Ctx& x, store::Uid uid, const Source& src);

// PREVIEW (RFC 8970): mime::make_preview() of the message's first text part, reading at most
// mime::kPreviewRead bytes of it; empty when the message has no text part.
base::Result<std::string> preview_text(const Ctx& x, const store::MessageMeta& m,
                                       const mime::PartMap* map);

// The bytes of an item small enough to build in memory (before <partial>).
base::Result<std::string> section_bytes(const Ctx& x, const store::MessageMeta& m,
                                        const Source& src, const ::posthouse::imap::FetchAtt& a);

// A literal whose header is already in the output and whose bytes are sent from the store in
// slices, each written (awaited) before the next is read.
struct Stream {
  store::Uid uid = 0;
  Source src;
  uint64_t skip = 0;  // decoded bytes dropped first (BINARY <partial>)
  uint64_t size = 0;  // the literal's announced size
};

// Sends a Stream's bytes; false when the connection is gone or the message vanished under it
// (the literal cannot be completed: the caller closes the connection).
boost::asio::awaitable<bool> send_stream(Session& s, const Ctx& x, const Stream& st);

}  // namespace fetch
}  // namespace posthouse::server::imap
