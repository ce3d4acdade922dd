#include "store/queue_store.h"

namespace posthouse::store {

namespace {
constexpr std::string_view kNames[] = {"queued",    "sending", "deferred",
                                       "delivered", "bounced", "expired"};
}

std::string_view state_name(RecipientState s) { return kNames[static_cast<int>(s)]; }

std::optional<RecipientState> state_from_name(std::string_view s) {
  for (int i = 0; i < 6; ++i) {
    if (kNames[i] == s) return static_cast<RecipientState>(i);
  }
  return std::nullopt;
}

bool is_final(RecipientState s) {
  return s == RecipientState::kDelivered || s == RecipientState::kBounced ||
         s == RecipientState::kExpired;
}

}  // namespace posthouse::store
