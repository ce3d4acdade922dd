// RFC 5256 threading (IMAP THREAD=REFERENCES and THREAD=ORDEREDSUBJECT), as pure functions
// over the header summary the store keeps, so IMAP and later JMAP share one implementation.
//
// Contract: no recursion anywhere (a sender controls reply-chain depth: a 100,000-message chain
// is threaded and formatted with heap memory only); time O(n log n) plus, for REFERENCES, the
// loop checks of step 1, each bounded by the depth of the chain it walks.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace posthouse::mime {

// One message of the set being threaded, in ascending sequence-number order.
struct ThreadMessage {
  std::string_view message_id;                           // "<a@b>", empty when absent
  std::span<const std::string> references;               // References msg-ids, in order
  std::string_view in_reply_to;                          // first In-Reply-To msg-id, or empty
  std::string_view subject;                              // decoded Subject (UTF-8)
  int64_t sent_date = 0;                                 // Date header, else internal date
  uint32_t seq = 0;                                      // ties on sent_date go by this
};

// A thread forest. Nodes [0, messages) are the input messages by index; nodes from `messages`
// on are dummies (a missing parent kept to join its children, RFC 5256 step 4/5).
struct ThreadForest {
  size_t messages = 0;
  std::vector<uint32_t> roots;                  // threads in order
  std::vector<std::vector<uint32_t>> children;  // per node, in order
  bool dummy(uint32_t node) const { return node >= messages; }
};

ThreadForest thread_references(std::span<const ThreadMessage> msgs);
ThreadForest thread_ordered_subject(std::span<const ThreadMessage> msgs);

// The RFC 5256 thread-list text ("(2)(3 6 (4 23)(44 7 96))", "((3)(5))"), without the
// leading "THREAD "; numbers[i] is what the client sees for message i (sequence number or UID).
std::string format_thread_list(const ThreadForest& forest, std::span<const uint32_t> numbers);

}  // namespace posthouse::mime
