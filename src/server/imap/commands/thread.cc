#include <vector>

#include "mime/thread.h"
#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

// THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256) over the messages the search key
// matches; the algorithms live in mime/thread.h.
PH_IMAP_HANDLER(cmd_thread) {
  const auto& a = std::get<codec::Thread>(c.args);
  auto hits = co_await run_search(s, a.key, a.charset, true);
  if (!hits) {
    s.fail(c, hits.error());
    co_return;
  }
  static const store::HeaderInfo kNone;
  std::vector<mime::ThreadMessage> msgs;
  std::vector<uint32_t> numbers;
  msgs.reserve(hits->size());
  numbers.reserve(hits->size());
  for (const auto& h : *hits) {
    const auto& hd = h.meta.headers ? *h.meta.headers : kNone;
    msgs.push_back({hd.message_id, hd.references, hd.in_reply_to, hd.subject,
                    hd.date.value_or(h.meta.internaldate), h.seq});
    numbers.push_back(c.uid ? h.meta.uid : h.seq);
  }
  auto forest = a.algorithm == codec::Thread::Algorithm::kOrderedSubject
                    ? mime::thread_ordered_subject(msgs)
                    : mime::thread_references(msgs);
  std::string list = mime::format_thread_list(forest, numbers);
  s.untagged(list.empty() ? "THREAD" : "THREAD " + list);
  s.ok(c, "THREAD completed");
}

}  // namespace posthouse::server::imap
