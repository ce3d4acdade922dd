// libFuzzer target: modified UTF-7 decoding must accept only canonical input (decode then
// encode gives the input back) and encoding must round-trip any valid UTF-8 name.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/imap/mutf7.h"
#include "protocol/text.h"

using namespace posthouse;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto dec = imap::mutf7_decode(in);
  if (dec.ok()) {
    if (!protocol::valid_utf8(*dec)) __builtin_trap();
    auto enc = imap::mutf7_encode(*dec);
    if (!enc.ok() || *enc != in) __builtin_trap();
  }
  auto enc = imap::mutf7_encode(in);
  if (enc.ok()) {
    auto back = imap::mutf7_decode(*enc);
    if (!back.ok() || *back != in) __builtin_trap();
  }
  (void)imap::check_mailbox_name(in);
  return 0;
}
