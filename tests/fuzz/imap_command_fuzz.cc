// libFuzzer target: IMAP command framing (literals, LITERAL+, literal8) and command parsing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/imap/command.h"
#include "protocol/imap/mutf7.h"
#include "protocol/imap/reader.h"
#include "protocol/imap/response.h"

using namespace posthouse;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  imap::ReaderLimits limits;
  limits.max_line = 4096;
  limits.max_literal = 1 << 16;
  limits.max_nonsync_literal = 4096;
  limits.max_command = 1 << 17;
  imap::CommandReader reader(limits);
  imap::ParseLimits plimits;
  plimits.max_args = 2000;
  size_t guard = 0;
  while (!in.empty() && ++guard < 100000) {
    auto st = reader.feed(in);
    if (st.consumed > in.size()) __builtin_trap();
    in.remove_prefix(st.consumed);
    using S = imap::CommandReader::Status;
    if (st.status == S::kCommand) {
      std::string_view tag;
      auto cmd = imap::parse_command(reader.raw(), plimits, &tag);
      if (cmd.ok()) {
        if (const auto* sel = std::get_if<imap::Select>(&cmd->args)) {
          (void)imap::mutf7_decode(sel->mailbox);
        }
        if (const auto* f = std::get_if<imap::Fetch>(&cmd->args)) (void)f->set.normalized(100);
      } else {
        std::string resp = imap::error_response(tag.empty() ? "*" : tag, cmd.error());
        if (resp.find('\n') != resp.size() - 1) __builtin_trap();
      }
    } else if (st.status == S::kError) {
      (void)imap::error_response(reader.tag(), reader.error());
      if (reader.fatal()) break;
    } else if (st.status == S::kNeedMore) {
      break;
    }
  }
  return 0;
}
