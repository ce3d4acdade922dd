// The queue's names for the outbound queue's storage (store/queue_store.h): the queue runner,
// the directory's queue verbs and the CLI use them unqualified in posthouse::queue.
#pragma once

#include "store/queue_store.h"

namespace posthouse::queue {

using store::Claim;
using store::ClaimedRecipient;
using store::is_final;
using store::ListFilter;
using store::NewMessage;
using store::NewRecipient;
using store::Outcome;
using store::QueuedMessage;
using store::QueuedRecipient;
using store::QueueStore;
using store::RecipientState;
using store::state_from_name;
using store::state_name;

}  // namespace posthouse::queue
